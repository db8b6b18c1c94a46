package command

// keysOf appends the keys of the command line a, which s describes, to
// dst[:0]. It follows Redis 7.0's getKeysFromCommandWithSpecs (db.c):
//
//  1. A line whose length does not fit the arity has no keys (the server
//     refuses it before looking at keys).
//  2. If the key specs are to be trusted (s.useSpecs), apply them; if every
//     one was valid and complete, that is the answer.
//  3. Otherwise run the command's own key-finding code (s.getkeys), a port
//     of the C function Redis has for it (sortGetKeys, migrateGetKeys, ...).
//  4. A command with neither, whose specs include one that can never be
//     applied alone (unknown or incomplete: a module or future command
//     whose code we do not have), gets the keys its other specs found.
//     Redis would report none; for counting hot keys part of the keys is
//     better than none. A command whose specs are all complete but do not
//     fit the line gets none, as in Redis (the line is a syntax error, or
//     one of Redis's own quirks such as PFMERGE with no source key).
func keysOf[A argv](s *Spec, a A, dst []Key) []Key {
	dst = dst[:0]
	if s == nil {
		return dst
	}
	n := a.len()
	if n == 0 || (s.Arity > 0 && n != s.Arity) || n < -s.Arity {
		return dst
	}
	if s.useSpecs {
		out, ok := applySpecs(s, a, n, dst, false)
		if ok {
			return out
		}
		dst = out[:0]
	}
	if s.getkeys != gkNone {
		return runGetKeys(s, a, n, dst)
	}
	if s.partial {
		out, _ := applySpecs(s, a, n, dst, true)
		return out
	}
	return dst
}

// applySpecs applies every key spec of s that names keys (not not_key),
// as Redis's getKeysUsingKeySpecs does. It returns false as soon as a spec
// is unknown, incomplete or does not fit the arguments, unless partial is
// set, in which case such specs are skipped and the keys found so far kept.
func applySpecs[A argv](s *Spec, a A, n int, dst []Key, partial bool) ([]Key, bool) {
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if ks.Flags&KeyNotKey != 0 {
			continue
		}
		var ok bool
		dst, ok = applySpec(s, ks, a, n, dst)
		if !ok && !partial {
			return dst, false
		}
	}
	return dst, true
}

// applySpec appends the keys one spec finds. It returns false if the spec
// is invalid for these arguments or incomplete (its keys are appended all
// the same).
func applySpec[A argv](s *Spec, ks *KeySpec, a A, n int, dst []Key) ([]Key, bool) {
	var first int
	switch ks.BeginSearch.Type {
	case SearchIndex:
		first = ks.BeginSearch.Index
	case SearchKeyword:
		first = keywordSearch(a, n, ks.BeginSearch.Keyword, ks.BeginSearch.StartFrom)
		if first == 0 {
			return dst, true // keyword absent: this spec names no key
		}
	default:
		return dst, false
	}

	fk := &ks.FindKeys
	var last, step int
	switch fk.Type {
	case FindRange:
		step = fk.KeyStep
		switch {
		case fk.LastKey >= 0:
			last = first + fk.LastKey
		case fk.Limit == 0:
			last = n + fk.LastKey
		default:
			last = first + ((n-first)/fk.Limit + fk.LastKey)
		}
	case FindKeyNum:
		step = fk.KeyStep
		idx := first + fk.KeyNumIdx
		if idx < 0 || idx >= n {
			return dst, false // too few arguments to hold numkeys
		}
		numkeys, ok := a.integer(idx)
		if !ok || numkeys < 0 {
			return dst, false
		}
		first += fk.FirstKey
		last = first + int(int32(numkeys)) - 1 // Redis casts numkeys to int
	default:
		return dst, false
	}
	if first < 0 || first >= n || last >= n || last < first || step < 1 {
		return dst, false
	}
	acc := s.accessOf(ks.Flags)
	for i := first; ; i += step {
		dst = append(dst, Key{Pos: i, Access: acc, Flags: ks.Flags})
		if step > last-i {
			break // also keeps i += step from overflowing
		}
	}
	return dst, ks.Flags&KeyIncomplete == 0
}

// keywordSearch returns the index after the keyword, or 0 if it is absent.
// A positive startFrom searches forwards from that index up to the
// next-to-last argument; zero or a negative one searches backwards from
// n+startFrom down to index 2 (Redis stops before index 1).
func keywordSearch[A argv](a A, n int, keyword string, startFrom int) int {
	start, end := startFrom, n-1
	if startFrom <= 0 {
		start, end = n+startFrom, 1
	}
	for i := start; i != end; {
		if i >= n || i < 1 {
			break
		}
		if a.is(i, keyword) {
			return i + 1
		}
		if start <= end {
			i++
		} else {
			i--
		}
	}
	return 0
}
