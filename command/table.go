package command

import (
	"iter"
	"slices"
	"strings"
)

// Table is a set of command specs, looked up by name without regard to
// case. It is immutable once built, so its methods may be called from any
// number of goroutines at once. The zero Table, and a nil *Table, know no
// command.
type Table struct {
	cmds  index
	specs []*Spec // top-level commands, sorted by name
}

// New returns a table of the given commands. Names are lowercased; a later
// spec replaces an earlier one of the same name. The specs are copied, so
// the caller may reuse them.
func New(specs []Spec) *Table {
	m := make(map[string]*Spec, len(specs))
	for i := range specs {
		s := prepare(&specs[i], "")
		m[s.Name] = s
	}
	return fromMap(m)
}

func fromMap(m map[string]*Spec) *Table {
	t := &Table{}
	for _, s := range m {
		t.specs = append(t.specs, s)
	}
	slices.SortFunc(t.specs, func(a, b *Spec) int { return strings.Compare(a.Name, b.Name) })
	t.cmds = *newIndex(t.specs, "")
	return t
}

// prepare returns a deep copy of src, named in lowercase (a subcommand as
// "container|sub"), with the fields the table derives filled in.
func prepare(src *Spec, container string) *Spec {
	s := new(Spec)
	prepareInto(s, src, container)
	return s
}

func prepareInto(s, src *Spec, container string) {
	*s = Spec{
		Name:       strings.ToLower(src.Name),
		Arity:      src.Arity,
		Flags:      src.Flags,
		Categories: src.Categories,
		FirstKey:   src.FirstKey,
		LastKey:    src.LastKey,
		Step:       src.Step,
		KeySpecs:   slices.Clone(src.KeySpecs),
	}
	if container != "" && !strings.HasPrefix(s.Name, container+"|") {
		s.Name = container + "|" + s.Name
	}
	if len(src.Subcommands) > 0 {
		s.Subcommands = make([]Spec, len(src.Subcommands))
		subs := make([]*Spec, len(src.Subcommands))
		for i := range src.Subcommands {
			prepareInto(&s.Subcommands[i], &src.Subcommands[i], s.Name)
			subs[i] = &s.Subcommands[i]
		}
		s.subs = newIndex(subs, s.Name+"|")
	}
	s.derive()
}

// derive fills in the class and how keys are found.
func (s *Spec) derive() {
	var named, varFlags, writes, incomplete bool
	for _, ks := range s.KeySpecs {
		if ks.Flags&KeyNotKey != 0 {
			continue
		}
		named = true
		varFlags = varFlags || ks.Flags&KeyVariableFlags != 0
		writes = writes || ks.Flags&writeKeyFlags != 0
		incomplete = incomplete || !ks.complete()
	}
	s.getkeys = getKeysFor(s.Name)
	// As Redis does: trust the specs unless their flags vary with the
	// arguments and there is code that knows how.
	s.useSpecs = named && !(varFlags && s.getkeys != gkNone)
	s.partial = incomplete && s.getkeys == gkNone
	switch {
	case s.Flags&FlagWrite != 0:
		s.class = ClassWrite
	case s.Flags&FlagReadonly != 0:
		s.class = ClassRead
	case writes:
		s.class = ClassWrite // EVAL, EVALSHA, FCALL: no flag, but RW keys
	case s.Flags&FlagAdmin != 0:
		s.class = ClassAdmin
	default:
		s.class = ClassOther
	}
}

// Builtin returns the table compiled into this package: every command and
// subcommand of Redis 7.0 with its key specs, generated from the COMMAND
// output of redis-server 7.0 (see builtin_gen.go). It is the fallback when
// the server's own table cannot be read. Every call returns the same
// immutable table.
func Builtin() *Table { return builtin() }

// Len returns the number of top-level commands in t.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.specs)
}

// All yields the top-level commands of t in name order. Subcommands are
// reached through Spec.Subcommand or Spec.Subcommands.
func (t *Table) All() iter.Seq[*Spec] {
	return func(yield func(*Spec) bool) {
		if t == nil {
			return
		}
		for _, s := range t.specs {
			if !yield(s) {
				return
			}
		}
	}
}

// Lookup returns the command called name, without regard to case. A
// subcommand is named "container|sub" as Redis names it ("object|freq") or
// "container sub".
func (t *Table) Lookup(name string) (*Spec, bool) {
	if t == nil {
		return nil, false
	}
	cmd, sub, found := strings.Cut(name, "|")
	if !found {
		cmd, sub, found = strings.Cut(name, " ")
	}
	s := t.cmds.lookup(cmd)
	if found && s != nil {
		s = s.subs.lookup(sub)
	}
	return s, s != nil
}

// Find returns the spec of the command line args: args[0] is the command
// name and, for a container command such as OBJECT or CLIENT, args[1] the
// subcommand. It returns nil (whose Class is ClassUnknown) for an unknown
// command or subcommand; a container given alone yields the container,
// which has no keys. It does not allocate.
func (t *Table) Find(args []string) *Spec { return find(t, strArgs(args)) }

// FindAny is Find for go-redis argument lists (cmd.Args()).
func (t *Table) FindAny(args []any) *Spec { return find(t, anyArgs(args)) }

func find[A argv](t *Table, a A) *Spec {
	if t == nil || a.len() == 0 {
		return nil
	}
	s := a.find(&t.cmds, 0)
	if s == nil || s.subs == nil || a.len() < 2 {
		return s // a bare container is left to its arity check, as in Redis
	}
	return a.find(s.subs, 1)
}

// Keys appends to dst[:0] the keys of the command line args (args[0] is
// the command name) and returns it: see Spec.Keys. An unknown command has
// no keys. With a dst of enough capacity it does not allocate.
func (t *Table) Keys(args []string, dst []Key) []Key {
	return keysOf(find(t, strArgs(args)), strArgs(args), dst)
}

// KeysAny is Keys for go-redis argument lists (cmd.Args()): elements may be
// string, []byte, any integer or float type, bool or time.Duration, as
// go-redis writes them.
func (t *Table) KeysAny(args []any, dst []Key) []Key {
	return keysOf(find(t, anyArgs(args)), anyArgs(args), dst)
}

// Class returns the class of the command called name (see Lookup);
// ClassUnknown if t does not know it.
func (t *Table) Class(name string) Class {
	s, _ := t.Lookup(name)
	return s.Class()
}

// IsReadOnly reports whether the command called name (see Lookup) is known
// and has the readonly flag. A container command such as OBJECT is not
// read-only; its subcommand "object|freq" is.
func (t *Table) IsReadOnly(name string) bool {
	s, _ := t.Lookup(name)
	return s.IsReadOnly()
}

// maxName is the longest name looked up through a stack buffer; longer
// names, which no Redis command has, are compared one by one.
const maxName = 64

// index finds specs by name without regard to case.
type index struct {
	byName map[string]*Spec // lowercase name (after "container|") → spec
	long   []*Spec          // specs whose names are longer than maxName
	prefix int              // length of the "container|" prefix of the names
}

func newIndex(specs []*Spec, prefix string) *index {
	ix := &index{byName: make(map[string]*Spec, len(specs)), prefix: len(prefix)}
	for _, s := range specs {
		key := s.Name[min(len(prefix), len(s.Name)):]
		if len(key) > maxName {
			ix.long = append(ix.long, s)
			continue
		}
		ix.byName[key] = s
	}
	return ix
}

func (ix *index) lookup(name string) *Spec {
	if ix == nil {
		return nil
	}
	if len(name) > maxName {
		return ix.lookupLong(name)
	}
	i := 0
	for i < len(name) && (name[i] < 'A' || name[i] > 'Z') {
		i++
	}
	if i == len(name) {
		return ix.byName[name] // already lowercase, as go-redis sends names
	}
	var buf [maxName]byte
	b := buf[:len(name)]
	copy(b, name[:i])
	for ; i < len(name); i++ {
		b[i] = lower(name[i])
	}
	return ix.byName[string(b)] // no allocation: the compiler uses b in place
}

func (ix *index) lookupBytes(name []byte) *Spec {
	if ix == nil {
		return nil
	}
	if len(name) > maxName {
		return ix.lookupLong(string(name))
	}
	var buf [maxName]byte
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		b[i] = lower(name[i])
	}
	return ix.byName[string(b)]
}

func (ix *index) lookupLong(name string) *Spec {
	for _, s := range ix.long {
		if strings.EqualFold(s.Name[ix.prefix:], name) {
			return s
		}
	}
	return nil
}
