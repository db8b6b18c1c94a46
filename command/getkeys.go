package command

// getKeysFunc names the command-specific key-finding code Redis 7.0 has for
// a command (its get_keys_function). Redis runs it when the key specs
// cannot tell: a spec is unknown or incomplete, does not fit the arguments,
// or has variable_flags. Each is a port of the C function named below, down
// to the flags it reports and its treatment of malformed lines, so that
// the keys found agree with COMMAND GETKEYSANDFLAGS.
type getKeysFunc uint8

const (
	gkNone         getKeysFunc = iota
	gkSort                     // sortGetKeys (sort.c)
	gkSortRO                   // sortROGetKeys (sort.c)
	gkMigrate                  // migrateGetKeys (db.c)
	gkNumKeys2                 // evalGetKeys, functionGetKeys, blmpopGetKeys, bzmpopGetKeys: numkeys at 2
	gkNumKeys1                 // zunionInterDiffGetKeys, lmpopGetKeys, zmpopGetKeys, sintercardGetKeys: numkeys at 1
	gkNumKeysStore             // zunionInterDiffStoreGetKeys: destination at 1, numkeys at 2
	gkXRead                    // xreadGetKeys (db.c)
	gkGeoradius                // georadiusGetKeys (db.c)
	gkSet                      // setGetKeys (db.c)
	gkBitfield                 // bitfieldGetKeys (db.c)
)

// getKeysFor returns the key-finding code Redis has for the command called
// name (lowercase), or gkNone.
func getKeysFor(name string) getKeysFunc {
	switch name {
	case "sort":
		return gkSort
	case "sort_ro":
		return gkSortRO
	case "migrate":
		return gkMigrate
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "blmpop", "bzmpop":
		return gkNumKeys2
	case "zunion", "zinter", "zdiff", "zintercard", "lmpop", "zmpop", "sintercard":
		return gkNumKeys1
	case "zunionstore", "zinterstore", "zdiffstore":
		return gkNumKeysStore
	case "xread", "xreadgroup":
		return gkXRead
	case "georadius", "georadiusbymember":
		return gkGeoradius
	case "set":
		return gkSet
	case "bitfield":
		return gkBitfield
	}
	return gkNone
}

func runGetKeys[A argv](s *Spec, a A, n int, dst []Key) []Key {
	switch s.getkeys {
	case gkSort:
		return sortKeys(a, n, dst)
	case gkSortRO:
		return append(dst, Key{Pos: 1, Access: Read, Flags: KeyRO | KeyAccess})
	case gkMigrate:
		return migrateKeys(a, n, dst)
	case gkNumKeys2:
		return numKeys(s, a, n, dst, 0, 2, 3)
	case gkNumKeys1:
		return numKeys(s, a, n, dst, 0, 1, 2)
	case gkNumKeysStore:
		return numKeys(s, a, n, dst, 1, 2, 3)
	case gkXRead:
		return xreadKeys(s, a, n, dst)
	case gkGeoradius:
		return georadiusKeys(s, a, n, dst)
	case gkSet:
		return setKeys(a, n, dst)
	case gkBitfield:
		return bitfieldKeys(a, n, dst)
	}
	return dst
}

// sortKeys: SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
// [ASC|DESC] [ALPHA] [STORE destination]. The sorted key is read; the last
// STORE destination is overwritten. BY and GET patterns name keys only
// through the contents of the sorted key, so they are not reported (Redis
// does not report them either).
func sortKeys[A argv](a A, n int, dst []Key) []Key {
	dst = append(dst, Key{Pos: 1, Access: Read, Flags: KeyRO | KeyAccess})
	store := 0
	for i := 2; i < n; i++ {
		switch {
		case a.is(i, "limit"):
			i += 2
		case a.is(i, "store") && i+1 < n:
			store = i + 1 // not skipped: Redis looks at the destination as an option too
		case a.is(i, "get"), a.is(i, "by"):
			i++
		}
	}
	if store > 0 {
		dst = append(dst, Key{Pos: store, Access: Write, Flags: KeyOW | KeyUpdate})
	}
	return dst
}

// migrateKeys: MIGRATE host port key|"" db timeout [COPY] [REPLACE]
// [AUTH pw | AUTH2 user pw] [KEYS key ...]. Keys are read and deleted
// from this server (unless COPY, which Redis does not distinguish here).
func migrateKeys[A argv](a A, n int, dst []Key) []Key {
	first, num := 3, 1
	if n > 6 {
	scan:
		for i := 6; i < n; i++ {
			switch {
			case a.is(i, "keys"):
				if !a.empty(3) {
					return dst // Redis refuses KEYS with a key in third position
				}
				first, num = i+1, n-i-1
				break scan
			case a.is(i, "auth"):
				i++
			case a.is(i, "auth2"):
				i += 2
			}
		}
	}
	for i := first; i < first+num; i++ {
		dst = append(dst, Key{Pos: i, Access: Write, Flags: KeyRW | KeyAccess | KeyDelete})
	}
	return dst
}

// numKeys is Redis's genericGetKeys: the argument at countAt (parsed with
// atoi) says how many keys follow from firstAt; storeAt, if not 0, is a
// destination key. Redis gives these keys no flags.
func numKeys[A argv](s *Spec, a A, n int, dst []Key, storeAt, countAt, firstAt int) []Key {
	if countAt >= n {
		return dst
	}
	num := a.atoi(countAt)
	if num < 1 || num > int64(n-firstAt) {
		return dst
	}
	acc := s.accessOf(0)
	for i := 0; i < int(num); i++ {
		dst = append(dst, Key{Pos: firstAt + i, Access: acc})
	}
	if storeAt != 0 {
		dst = append(dst, Key{Pos: storeAt, Access: acc})
	}
	return dst
}

// xreadKeys: XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ... and
// XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ....
// The options are parsed because STREAMS may also be a group, consumer or
// key name.
func xreadKeys[A argv](s *Spec, a A, n int, dst []Key) []Key {
	streams := -1
scan:
	for i := 1; i < n; i++ {
		switch {
		case a.is(i, "block"), a.is(i, "count"):
			i++
		case a.is(i, "group"):
			i += 2
		case a.is(i, "noack"):
		case a.is(i, "streams"):
			streams = i
			break scan
		default:
			break scan // syntax error
		}
	}
	num := n - streams - 1
	if streams == -1 || num == 0 || num%2 != 0 {
		return dst
	}
	acc := s.accessOf(0)
	for i := streams + 1; i < streams+1+num/2; i++ {
		dst = append(dst, Key{Pos: i, Access: acc})
	}
	return dst
}

// georadiusKeys: GEORADIUS key lon lat radius unit ... [STORE key |
// STOREDIST key]; GEORADIUSBYMEMBER key member radius unit .... The last
// STORE or STOREDIST wins, as in the command itself.
func georadiusKeys[A argv](s *Spec, a A, n int, dst []Key) []Key {
	stored := -1
	for i := 5; i < n; i++ {
		if (a.is(i, "store") || a.is(i, "storedist")) && i+1 < n {
			stored = i + 1
			i++
		}
	}
	acc := s.accessOf(0)
	dst = append(dst, Key{Pos: 1, Access: acc})
	if stored != -1 {
		dst = append(dst, Key{Pos: stored, Access: acc})
	}
	return dst
}

// setKeys: SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]. With
// GET the old value is read too.
func setKeys[A argv](a A, n int, dst []Key) []Key {
	for i := 3; i < n; i++ {
		if a.is(i, "get") {
			return append(dst, Key{Pos: 1, Access: Write, Flags: KeyRW | KeyAccess | KeyUpdate})
		}
	}
	return append(dst, Key{Pos: 1, Access: Write, Flags: KeyOW | KeyUpdate})
}

// bitfieldKeys: BITFIELD key [GET type offset] [SET type offset value]
// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] .... Only GET
// and OVERFLOW leave the key as it was; a syntax error counts as a write.
func bitfieldKeys[A argv](a A, n int, dst []Key) []Key {
	readonly := true
scan:
	for i := 2; i < n; i++ {
		rest := n - i - 1
		switch {
		case a.is(i, "get") && rest >= 2:
			i += 2
		case (a.is(i, "set") || a.is(i, "incrby")) && rest >= 3:
			readonly = false
			break scan
		case a.is(i, "overflow") && rest >= 1:
			i++
		default:
			readonly = false
			break scan
		}
	}
	if readonly {
		return append(dst, Key{Pos: 1, Access: Read, Flags: KeyRO | KeyAccess})
	}
	return append(dst, Key{Pos: 1, Access: Write, Flags: KeyRW | KeyAccess | KeyUpdate})
}
