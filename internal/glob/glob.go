// Package glob matches keys against Redis glob patterns exactly as the
// server does (KEYS, SCAN MATCH, PSUBSCRIBE): the middleware's cached-key
// patterns, replica routing patterns, alert rules and the CLI's pattern
// scans all use it, so a pattern means the same thing everywhere.
package glob

// Match reports whether key matches the Redis glob pattern, with the
// semantics of Redis's stringmatchlen (KEYS, SCAN MATCH): '*' matches any
// run of bytes, '?' any one byte, "[...]" one byte of a class ('^' first
// negates; "a-z" is a range, either way round), and '\' makes the next
// byte literal. Matching is byte by byte, so keys need not be UTF-8. An
// unterminated class runs to the end of the pattern, as in Redis.
func Match(pattern, key string) bool {
	// Backtracking to the last '*' only: a later star subsumes an
	// earlier one, so this is linear in len(pattern)·len(key) at worst.
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
				if np, ok := matchClass(pattern, p, key[k]); ok {
					p = np
					k++
					continue
				}
			default:
				if c == '\\' && p+1 < len(pattern) {
					if pattern[p+1] == key[k] {
						p += 2
						k++
						continue
					}
				} else if c == key[k] {
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

// matchClass matches b against the class that opens at pattern[p] ('[')
// and returns the index after the class and whether b is in it.
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
			if pattern[p] == b {
				match = true
			}
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= b && b <= hi {
				match = true
			}
			p += 2
		default:
			if pattern[p] == b {
				match = true
			}
		}
		p++
	}
	if p < len(pattern) {
		p++ // ']'
	}
	return p, match != not
}
