package command

import (
	"math/bits"
	"strings"
)

// Flags is the set of command flags Redis reports in COMMAND INFO
// (the third element of each entry), such as write, readonly or admin.
// Flags a server reports that this package does not know are dropped.
type Flags uint32

// Command flags, named as Redis names them. The first group exists since
// Redis 7.0 and earlier; random and sort_for_script are Redis 6 flags that
// Redis 7 turned into command tips.
const (
	FlagWrite           Flags = 1 << iota // write: may modify the keyspace
	FlagReadonly                          // readonly: never modifies keys
	FlagDenyOOM                           // denyoom: may grow memory use
	FlagModule                            // module: implemented by a module
	FlagAdmin                             // admin: administrative
	FlagPubSub                            // pubsub: publish/subscribe
	FlagNoScript                          // noscript: refused inside scripts
	FlagBlocking                          // blocking: may block the client
	FlagLoading                           // loading: allowed while loading
	FlagStale                             // stale: allowed on a stale replica
	FlagSkipMonitor                       // skip_monitor: not shown in MONITOR
	FlagSkipSlowlog                       // skip_slowlog: not kept in SLOWLOG
	FlagAsking                            // asking: cluster ASKING semantics
	FlagFast                              // fast: O(1) or O(log N)
	FlagNoAuth                            // no_auth: allowed before AUTH
	FlagMayReplicate                      // may_replicate: may be propagated
	FlagNoMandatoryKeys                   // no_mandatory_keys: keys may be absent
	FlagNoMulti                           // no_multi: refused inside MULTI
	FlagMovableKeys                       // movablekeys: key positions depend on the arguments
	FlagAllowBusy                         // allow_busy: allowed while a script is busy
	FlagNoAsyncLoading                    // no_async_loading: refused during async loading
	FlagRandom                            // random (Redis 6): nondeterministic
	FlagSortForScript                     // sort_for_script (Redis 6)
)

var flagNames = [...]string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
	"fast", "no_auth", "may_replicate", "no_mandatory_keys", "no_multi",
	"movablekeys", "allow_busy", "no_async_loading", "random", "sort_for_script",
}

// Has reports whether every flag in g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// String returns the Redis names of the flags joined by "|", for example
// "write|denyoom".
func (f Flags) String() string { return bitNames(uint64(f), flagNames[:]) }

// ParseFlag returns the flag Redis calls name (case-insensitive), or false.
func ParseFlag(name string) (Flags, bool) {
	i, ok := bitByName(name, flagNames[:])
	return Flags(1) << i, ok
}

// KeyFlags is the set of flags of one key spec (Redis 7 "key specs"). They
// say what the command does with the key: exactly one of RO, RW, OW and RM
// gives the kind of operation, and ACCESS, UPDATE, INSERT and DELETE refine
// it. See https://redis.io/docs/reference/key-specs/.
type KeyFlags uint16

// Key spec flags, named as Redis names them.
const (
	KeyRO            KeyFlags = 1 << iota // RO: read-only; reads the value, never changes it
	KeyRW                                 // RW: read-write; may change the value
	KeyOW                                 // OW: overwrite; replaces the value without reading it
	KeyRM                                 // RM: removes the key
	KeyAccess                             // access: returns, copies or uses the user data
	KeyUpdate                             // update: updates the existing data
	KeyInsert                             // insert: adds data, never modifies or deletes existing data
	KeyDelete                             // delete: explicitly deletes some content
	KeyNotKey                             // not_key: not a key (a shard channel) though cluster-routed like one
	KeyIncomplete                         // incomplete: the spec may not find every key
	KeyVariableFlags                      // variable_flags: the flags depend on the arguments
)

var keyFlagNames = [...]string{
	"RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
	"not_key", "incomplete", "variable_flags",
}

// Has reports whether every flag in g is set in f.
func (f KeyFlags) Has(g KeyFlags) bool { return f&g == g }

// String returns the Redis names of the flags joined by "|", for example
// "RW|access|delete".
func (f KeyFlags) String() string { return bitNames(uint64(f), keyFlagNames[:]) }

// ParseKeyFlag returns the key spec flag Redis calls name
// (case-insensitive), or false.
func ParseKeyFlag(name string) (KeyFlags, bool) {
	i, ok := bitByName(name, keyFlagNames[:])
	return KeyFlags(1) << i, ok
}

// writeKeyFlags are the key spec flags that make a key a written one.
const writeKeyFlags = KeyRW | KeyOW | KeyRM | KeyUpdate | KeyInsert | KeyDelete

// Categories is the set of ACL categories of a command ("@read",
// "@string", ...). Categories a server reports that this package does not
// know are dropped.
type Categories uint32

// ACL categories of Redis 7.0, named as Redis names them without the "@".
const (
	CatKeyspace    Categories = 1 << iota // @keyspace
	CatRead                               // @read
	CatWrite                              // @write
	CatSet                                // @set
	CatSortedSet                          // @sortedset
	CatList                               // @list
	CatHash                               // @hash
	CatString                             // @string
	CatBitmap                             // @bitmap
	CatHyperLogLog                        // @hyperloglog
	CatGeo                                // @geo
	CatStream                             // @stream
	CatPubSub                             // @pubsub
	CatAdmin                              // @admin
	CatFast                               // @fast
	CatSlow                               // @slow
	CatBlocking                           // @blocking
	CatDangerous                          // @dangerous
	CatConnection                         // @connection
	CatTransaction                        // @transaction
	CatScripting                          // @scripting
)

var categoryNames = [...]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// Has reports whether every category in d is set in c.
func (c Categories) Has(d Categories) bool { return c&d == d }

// String returns the category names joined by "|", without "@", for
// example "read|string|fast".
func (c Categories) String() string { return bitNames(uint64(c), categoryNames[:]) }

// ParseCategory returns the ACL category called name, with or without the
// leading "@" (case-insensitive), or false.
func ParseCategory(name string) (Categories, bool) {
	i, ok := bitByName(strings.TrimPrefix(name, "@"), categoryNames[:])
	return Categories(1) << i, ok
}

func bitNames(v uint64, names []string) string {
	var b strings.Builder
	for v != 0 {
		i := bits.TrailingZeros64(v)
		v &^= 1 << i
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		if i < len(names) {
			b.WriteString(names[i])
		} else {
			b.WriteString("?")
		}
	}
	return b.String()
}

func bitByName(name string, names []string) (int, bool) {
	for i, n := range names {
		if strings.EqualFold(n, name) {
			return i, true
		}
	}
	return 0, false
}
