package alert

// matchGlob reports whether key matches pattern with the semantics of
// Redis's stringmatchlen (KEYS, SCAN MATCH, PSUBSCRIBE): '*' matches any
// run of bytes, '?' one byte, "[...]" one byte of a class ('^' first
// negates, "a-z" is a range either way round, '\' quotes the next byte),
// and '\' outside a class makes the next byte literal. Matching is byte by
// byte, so neither pattern nor key need be UTF-8. An unterminated class
// runs to the end of the pattern, as in Redis.
//
// It backtracks only to the last '*' seen, since a later star subsumes an
// earlier one: the cost is at most len(pattern)·len(key) byte comparisons,
// whatever the pattern.
func matchGlob(pattern, key string) bool {
	p, k := 0, 0
	starP, starK := -1, 0
	for k < len(key) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starK = p, k
				continue
			case '?':
				p++
				k++
				continue
			case '[':
				if next, ok := matchClass(pattern, p, key[k]); ok {
					p = next
					k++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if pattern[p+1] == key[k] {
						p += 2
						k++
						continue
					}
				} else if c == key[k] { // a trailing '\' is literal
					p++
					k++
					continue
				}
			default:
				if c == key[k] {
					p++
					k++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starK++
		p, k = starP, starK
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches b against the class opening at pattern[p] ('[') and
// returns the index just after the class and whether b belongs to it.
func matchClass(pattern string, p int, b byte) (int, bool) {
	p++ // '['
	not := p < len(pattern) && pattern[p] == '^'
	if not {
		p++
	}
	match := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			match = match || pattern[p] == b
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			match = match || (lo <= b && b <= hi)
			p += 2
		default:
			match = match || pattern[p] == b
		}
		p++
	}
	if p < len(pattern) {
		p++ // ']'
	}
	return p, match != not
}
