package command

import (
	"fmt"
	"strconv"
)

// Access says what a command does with one of its keys.
type Access uint8

const (
	// Read means the command reads the key and leaves its value as it was
	// (key spec flags RO or access alone).
	Read Access = iota + 1
	// Write means the command may change, replace, create or delete the key
	// (key spec flags RW, OW, RM, insert, update or delete). A near cache
	// must drop the key when it sees one.
	Write
)

// String returns "read" or "write".
func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "Access(" + strconv.Itoa(int(a)) + ")"
}

// Class is what a command does as a whole, from its command flags.
type Class uint8

const (
	// ClassUnknown is the class of a command the table does not know.
	ClassUnknown Class = iota
	// ClassRead is a command with the readonly flag.
	ClassRead
	// ClassWrite is a command with the write flag, or one that may replicate
	// and declares a key it writes (EVAL, EVALSHA, FCALL).
	ClassWrite
	// ClassAdmin is an administrative command (admin flag) that is neither
	// readonly nor write: CONFIG, DEBUG, MONITOR, CLIENT KILL, ...
	ClassAdmin
	// ClassOther is every other known command: connection, transaction,
	// pub/sub, server introspection (PING, MULTI, SUBSCRIBE, CLIENT LIST).
	ClassOther
)

// String returns "unknown", "read", "write", "admin" or "other".
func (c Class) String() string {
	switch c {
	case ClassUnknown:
		return "unknown"
	case ClassRead:
		return "read"
	case ClassWrite:
		return "write"
	case ClassAdmin:
		return "admin"
	case ClassOther:
		return "other"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Key is one key argument of a command line.
type Key struct {
	// Pos is the key's index in the argument list, where 0 is the command
	// name.
	Pos int
	// Access says whether the command reads or writes the key.
	Access Access
	// Flags are the key spec flags Redis gives this key (for commands whose
	// keys Redis finds by code rather than key specs, the flags that code
	// gives: SORT's STORE key is OW|update, SET with GET is RW|access|update).
	// They are zero where Redis gives none.
	Flags KeyFlags
}

// String returns the key as "pos:access", for example "1:read".
func (k Key) String() string { return strconv.Itoa(k.Pos) + ":" + k.Access.String() }

// SearchType is how a key spec finds the first key.
type SearchType uint8

const (
	// SearchUnknown means the first key cannot be found from the spec
	// alone; Redis (and this package) runs command-specific code instead.
	SearchUnknown SearchType = iota
	// SearchIndex means the first key is at a fixed index.
	SearchIndex
	// SearchKeyword means the first key follows a keyword such as STREAMS.
	SearchKeyword
)

// String returns the Redis name: "unknown", "index" or "keyword".
func (t SearchType) String() string {
	switch t {
	case SearchIndex:
		return "index"
	case SearchKeyword:
		return "keyword"
	}
	return "unknown"
}

// BeginSearch is the begin_search part of a key spec: where the search
// for keys starts.
type BeginSearch struct {
	// Type selects which of the fields below apply.
	Type SearchType

	// Index is the argument index of the first key (SearchIndex).
	Index int

	// Keyword is the argument, matched without regard to case, that the
	// first key follows (SearchKeyword).
	Keyword string

	// StartFrom is where the keyword search begins (SearchKeyword). A
	// positive value is an index searched forwards up to the next-to-last
	// argument; a negative one counts back from the end (-1 is the last
	// argument) and is searched backwards down to index 1.
	StartFrom int
}

// FindType is how a key spec finds the keys after the first.
type FindType uint8

const (
	// FindUnknown means the keys cannot be found from the spec alone.
	FindUnknown FindType = iota
	// FindRange means the keys are a range of arguments.
	FindRange
	// FindKeyNum means an argument says how many keys follow.
	FindKeyNum
)

// String returns the Redis name: "unknown", "range" or "keynum".
func (t FindType) String() string {
	switch t {
	case FindRange:
		return "range"
	case FindKeyNum:
		return "keynum"
	}
	return "unknown"
}

// FindKeys is the find_keys part of a key spec: which arguments, from the
// one begin_search found, are keys.
type FindKeys struct {
	// Type selects which of the fields below apply.
	Type FindType

	// LastKey is the index of the last key relative to the first
	// (FindRange). A negative value counts from the end of the arguments:
	// -1 is the last one; with Limit > 0 it must be -1.
	LastKey int

	// KeyStep is the distance between two keys (FindRange and FindKeyNum).
	KeyStep int

	// Limit, when LastKey is negative, limits the keys to the first
	// 1/Limit of the arguments that remain from the first key: 2 for
	// "key key ... id id ..." (XREAD STREAMS). 0 means no limit (FindRange).
	Limit int

	// KeyNumIdx is the index, relative to the begin_search result, of the
	// argument that holds the number of keys (FindKeyNum).
	KeyNumIdx int

	// FirstKey is the index, relative to the begin_search result, of the
	// first key (FindKeyNum).
	FirstKey int
}

// KeySpec is one Redis 7 key specification of a command: where some of its
// keys are and what it does with them.
type KeySpec struct {
	// Flags say what the command does with the keys this spec finds.
	Flags KeyFlags
	// BeginSearch finds the first key.
	BeginSearch BeginSearch
	// FindKeys finds the keys from the first.
	FindKeys FindKeys
}

// String returns the spec in a compact form such as
// "RW|access|update index(1) range(0,1,0)".
func (k KeySpec) String() string {
	var bs, fk string
	switch k.BeginSearch.Type {
	case SearchIndex:
		bs = fmt.Sprintf("index(%d)", k.BeginSearch.Index)
	case SearchKeyword:
		bs = fmt.Sprintf("keyword(%q,%d)", k.BeginSearch.Keyword, k.BeginSearch.StartFrom)
	default:
		bs = "unknown"
	}
	switch k.FindKeys.Type {
	case FindRange:
		fk = fmt.Sprintf("range(%d,%d,%d)", k.FindKeys.LastKey, k.FindKeys.KeyStep, k.FindKeys.Limit)
	case FindKeyNum:
		fk = fmt.Sprintf("keynum(%d,%d,%d)", k.FindKeys.KeyNumIdx, k.FindKeys.FirstKey, k.FindKeys.KeyStep)
	default:
		fk = "unknown"
	}
	return k.Flags.String() + " " + bs + " " + fk
}

// complete reports whether the spec can be applied without command-specific
// code: neither search is unknown and Redis does not call it incomplete.
func (k KeySpec) complete() bool {
	return k.BeginSearch.Type != SearchUnknown && k.FindKeys.Type != FindUnknown &&
		k.Flags&KeyIncomplete == 0
}

// Spec describes one command or subcommand as COMMAND INFO does.
//
// A Spec reached through a Table belongs to the table and must not be
// modified; the Table's methods are safe for concurrent use because no one
// does.
type Spec struct {
	// Name is the lowercase command name; a subcommand's name is
	// "container|sub", for example "object|freq".
	Name string

	// Arity is the number of arguments, command name included; a negative
	// value -N means at least N.
	Arity int

	// Flags are the command flags (write, readonly, admin, ...).
	Flags Flags

	// Categories are the command's ACL categories (@read, @string, ...).
	Categories Categories

	// FirstKey, LastKey and Step are the legacy (Redis 6) key positions:
	// first key, last key (negative counts from the end) and step, all 0
	// when the command takes no keys in fixed places. They are informative;
	// keys are found from KeySpecs.
	FirstKey, LastKey, Step int

	// KeySpecs are the Redis 7 key specs, in the server's order.
	KeySpecs []KeySpec

	// Subcommands of a container command such as OBJECT or CLIENT.
	Subcommands []Spec

	// Unexported fields are derived by the Table that owns the spec.
	class    Class
	getkeys  getKeysFunc // command-specific key finder; 0 if none
	useSpecs bool        // apply the key specs first, as Redis does
	partial  bool        // no code for specs that need it: keep what the others find
	subs     *index      // Subcommands by the lowercase name after "|"
}

// Class returns what the command does as a whole. It is ClassUnknown for a
// nil Spec.
func (s *Spec) Class() Class {
	if s == nil {
		return ClassUnknown
	}
	return s.class
}

// IsReadOnly reports whether the command has the readonly flag: it never
// modifies the keyspace. It is false for a nil Spec.
func (s *Spec) IsReadOnly() bool { return s != nil && s.Flags&FlagReadonly != 0 }

// IsWrite reports whether the command is of ClassWrite. It is false for a
// nil Spec.
func (s *Spec) IsWrite() bool { return s.Class() == ClassWrite }

// Subcommand returns the subcommand of a container command called name
// (case-insensitive, without the "container|" prefix).
func (s *Spec) Subcommand(name string) (*Spec, bool) {
	if s == nil || s.subs == nil {
		return nil, false
	}
	sub := s.subs.lookup(name)
	return sub, sub != nil
}

// String returns the command name.
func (s *Spec) String() string {
	if s == nil {
		return "<unknown>"
	}
	return s.Name
}

// Keys appends to dst[:0] the keys of args, a full command line of this
// command (args[0] is the command name, args[1] the subcommand of a
// subcommand), and returns it. It finds them as Redis does: it checks the
// arity, then applies the key specs, and runs the command's own code where
// the specs cannot tell (see the package documentation). With a dst of
// enough capacity it does not allocate. s must come from a Table (Find,
// Lookup, All), which prepares it; a nil Spec has no keys.
func (s *Spec) Keys(args []string, dst []Key) []Key {
	return keysOf(s, strArgs(args), dst)
}

// KeysAny is Keys for go-redis argument lists (cmd.Args()): elements may be
// string, []byte, any integer or float type, bool or time.Duration, as
// go-redis writes them.
func (s *Spec) KeysAny(args []any, dst []Key) []Key {
	return keysOf(s, anyArgs(args), dst)
}

// accessOf maps key spec flags to an Access. Keys with neither read nor
// write flags (from Redis code that gives none) are reads for readonly
// commands and writes otherwise, so a near cache errs on the safe side.
func (s *Spec) accessOf(f KeyFlags) Access {
	if f&writeKeyFlags != 0 {
		return Write
	}
	if f&(KeyRO|KeyAccess) != 0 || s.Flags&FlagReadonly != 0 {
		return Read
	}
	return Write
}
