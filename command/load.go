package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrNoPermission is returned (wrapped, with the server's error) by Load
// when the server's ACL does not let the client run COMMAND. Use Builtin
// instead.
var ErrNoPermission = errors.New("command: the server refuses COMMAND to this user (NOPERM); use command.Builtin()")

// ErrMalformed is returned (wrapped, with what was wrong) by Load and Parse
// when a COMMAND reply does not have the shape Redis gives it.
var ErrMalformed = errors.New("command: malformed COMMAND reply")

// Load reads the command table of the server c talks to (COMMAND, which
// lists every command with its key specs on Redis 7 and later) and returns
// it merged over Builtin, so that commands the server does not list keep
// their built-in specs. Commands the server lists replace the built-in ones,
// so newer commands and module commands are handled as the server says.
//
// On servers older than 7.0, which give no key specs, a command the builtin
// table knows keeps its built-in spec and any other (a module command) gets
// a key spec made from its first key, last key and step, as Redis 7 does for
// such commands; a movablekeys command among those is marked incomplete.
//
// For a cluster client the table of one node is read: all nodes of a
// cluster are expected to run the same version and modules.
//
// If the server refuses COMMAND the error wraps ErrNoPermission; any other
// failure is returned wrapped as well. Callers fall back to Builtin.
func Load(ctx context.Context, c redis.UniversalClient) (*Table, error) {
	if c == nil {
		return nil, errors.New("command: Load: nil client")
	}
	reply, err := c.Do(ctx, "command").Result()
	if err != nil {
		if redis.IsPermissionError(err) || redis.HasErrorPrefix(err, "NOPERM") {
			return nil, fmt.Errorf("%w: %w", ErrNoPermission, err)
		}
		return nil, fmt.Errorf("command: read the server's command table (COMMAND): %w", err)
	}
	specs, legacy, err := parseReply(reply)
	if err != nil {
		return nil, err
	}
	return merge(Builtin(), specs, legacy), nil
}

// merge returns base with specs laid over it. With legacy (a server without
// key specs), commands base knows keep base's spec.
func merge(base *Table, specs []Spec, legacy bool) *Table {
	m := make(map[string]*Spec, base.Len()+len(specs))
	for s := range base.All() {
		m[s.Name] = s
	}
	for i := range specs {
		name := strings.ToLower(specs[i].Name)
		if legacy {
			if _, ok := m[name]; ok {
				continue
			}
			legacyKeySpecs(&specs[i])
		}
		m[name] = prepare(&specs[i], "")
	}
	return fromMap(m)
}

// legacyKeySpecs gives s, which has no key specs, the one Redis 7 makes
// from first key, last key and step (populateCommandLegacyRangeSpec).
func legacyKeySpecs(s *Spec) {
	if s.FirstKey <= 0 || len(s.KeySpecs) > 0 {
		return
	}
	ks := KeySpec{
		BeginSearch: BeginSearch{Type: SearchIndex, Index: s.FirstKey},
		FindKeys:    FindKeys{Type: FindRange, LastKey: s.LastKey, KeyStep: max(s.Step, 1)},
	}
	if s.LastKey >= 0 {
		ks.FindKeys.LastKey = s.LastKey - s.FirstKey
	}
	switch {
	case s.Flags&FlagWrite != 0:
		ks.Flags = KeyRW | KeyAccess | KeyUpdate
	case s.Flags&FlagReadonly != 0:
		ks.Flags = KeyRO | KeyAccess
	}
	if s.Flags&FlagMovableKeys != 0 {
		ks.Flags |= KeyIncomplete
	}
	s.KeySpecs = []KeySpec{ks}
}

// Parse converts the reply to COMMAND or COMMAND INFO, as go-redis returns
// it from Do (RESP2 or RESP3), into specs, subcommands and key specs
// included. Flags and categories this package does not know are dropped.
// It is how Load and the generator of the builtin table read the server.
func Parse(reply any) ([]Spec, error) {
	specs, _, err := parseReply(reply)
	return specs, err
}

// parseReply is Parse that also reports whether any entry lacked key
// specs, as on servers older than 7.0.
func parseReply(reply any) (specs []Spec, legacy bool, err error) {
	list, ok := reply.([]any)
	if !ok {
		return nil, false, fmt.Errorf("%w: got %T, want an array", ErrMalformed, reply)
	}
	specs = make([]Spec, 0, len(list))
	for i, e := range list {
		if e == nil {
			continue // COMMAND INFO of an unknown name
		}
		s, old, err := parseEntry(e)
		if err != nil {
			return nil, false, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i, err)
		}
		legacy = legacy || old
		specs = append(specs, s)
	}
	return specs, legacy, nil
}

// parseEntry parses one command: name, arity, flags, first key, last key,
// step, then (6.0+) ACL categories, (7.0+) tips, key specs, subcommands.
func parseEntry(e any) (s Spec, legacy bool, err error) {
	f, ok := e.([]any)
	if !ok || len(f) < 6 {
		return s, false, fmt.Errorf("want an array of at least 6 elements, got %T", e)
	}
	if s.Name, ok = asString(f[0]); !ok || s.Name == "" {
		return s, false, fmt.Errorf("name is %T", f[0])
	}
	s.Name = strings.ToLower(s.Name)
	ints := [...]*int{1: &s.Arity, 3: &s.FirstKey, 4: &s.LastKey, 5: &s.Step}
	for i, p := range ints {
		if p == nil {
			continue
		}
		n, ok := asInt(f[i])
		if !ok {
			return s, false, fmt.Errorf("%s: element %d is %v, want an integer", s.Name, i+1, f[i])
		}
		*p = int(n)
	}
	flags, _ := f[2].([]any)
	for _, v := range flags {
		name, _ := asString(v)
		if fl, ok := ParseFlag(name); ok {
			s.Flags |= fl
		}
	}
	if len(f) > 6 {
		cats, _ := f[6].([]any)
		for _, v := range cats {
			name, _ := asString(v)
			if c, ok := ParseCategory(name); ok {
				s.Categories |= c
			}
		}
	}
	if len(f) <= 8 {
		return s, true, nil
	}
	specs, _ := f[8].([]any)
	for j, v := range specs {
		ks, err := parseKeySpec(v)
		if err != nil {
			return s, false, fmt.Errorf("%s: key spec %d: %w", s.Name, j, err)
		}
		s.KeySpecs = append(s.KeySpecs, ks)
	}
	if len(f) > 9 {
		subs, _ := f[9].([]any)
		for _, v := range subs {
			sub, _, err := parseEntry(v)
			if err != nil {
				return s, false, fmt.Errorf("%s: subcommand: %w", s.Name, err)
			}
			s.Subcommands = append(s.Subcommands, sub)
		}
	}
	return s, false, nil
}

func parseKeySpec(v any) (KeySpec, error) {
	var ks KeySpec
	err := eachPair(v, func(k string, v any) error {
		switch k {
		case "flags":
			fl, _ := v.([]any)
			for _, x := range fl {
				name, _ := asString(x)
				if f, ok := ParseKeyFlag(name); ok {
					ks.Flags |= f
				}
			}
		case "begin_search":
			return parseSearch(v, func(typ string, spec any) error {
				switch typ {
				case "index":
					ks.BeginSearch.Type = SearchIndex
					return eachPair(spec, func(k string, v any) error {
						if k == "index" {
							return setInt(&ks.BeginSearch.Index, k, v)
						}
						return nil
					})
				case "keyword":
					ks.BeginSearch.Type = SearchKeyword
					return eachPair(spec, func(k string, v any) error {
						switch k {
						case "keyword":
							ks.BeginSearch.Keyword, _ = asString(v)
						case "startfrom":
							return setInt(&ks.BeginSearch.StartFrom, k, v)
						}
						return nil
					})
				}
				ks.BeginSearch.Type = SearchUnknown
				return nil
			})
		case "find_keys":
			return parseSearch(v, func(typ string, spec any) error {
				fk := &ks.FindKeys
				switch typ {
				case "range":
					fk.Type = FindRange
				case "keynum":
					fk.Type = FindKeyNum
				default:
					fk.Type = FindUnknown
					return nil
				}
				return eachPair(spec, func(k string, v any) error {
					switch k {
					case "lastkey":
						return setInt(&fk.LastKey, k, v)
					case "keystep":
						return setInt(&fk.KeyStep, k, v)
					case "limit":
						return setInt(&fk.Limit, k, v)
					case "keynumidx":
						return setInt(&fk.KeyNumIdx, k, v)
					case "firstkey":
						return setInt(&fk.FirstKey, k, v)
					}
					return nil
				})
			})
		}
		return nil
	})
	return ks, err
}

// parseSearch parses {"type": t, "spec": {...}}.
func parseSearch(v any, fn func(typ string, spec any) error) error {
	var typ string
	var spec any
	err := eachPair(v, func(k string, v any) error {
		switch k {
		case "type":
			typ, _ = asString(v)
		case "spec":
			spec = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	return fn(typ, spec)
}

// eachPair calls fn for each key and value of a map reply: a RESP3 map, or
// a RESP2 array of alternating keys and values. A nil value has no pairs.
func eachPair(v any, fn func(k string, v any) error) error {
	switch m := v.(type) {
	case nil:
		return nil
	case []any:
		if len(m)%2 != 0 {
			return fmt.Errorf("map of %d elements", len(m))
		}
		for i := 0; i < len(m); i += 2 {
			k, _ := asString(m[i])
			if err := fn(k, m[i+1]); err != nil {
				return err
			}
		}
	case map[any]any:
		for k, v := range m {
			ks, _ := asString(k)
			if err := fn(ks, v); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, v := range m {
			if err := fn(k, v); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("want a map, got %T", v)
	}
	return nil
}

func setInt(p *int, name string, v any) error {
	n, ok := asInt(v)
	if !ok {
		return fmt.Errorf("%s is %v, want an integer", name, v)
	}
	*p = int(n)
	return nil
}

func asString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}
