package command

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// describe renders everything a spec says, subcommands sorted by name, so
// that two tables can be compared command by command.
func describe(s *Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s arity=%d flags=%v acl=%v legacy=%d,%d,%d",
		s.Name, s.Arity, s.Flags, s.Categories, s.FirstKey, s.LastKey, s.Step)
	for _, ks := range s.KeySpecs {
		fmt.Fprintf(&b, "\n  spec %v", ks)
	}
	subs := slices.Clone(s.Subcommands)
	slices.SortFunc(subs, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	for i := range subs {
		b.WriteString("\n  sub " + strings.ReplaceAll(describe(&subs[i]), "\n", "\n  "))
	}
	return b.String()
}

// compareTables reports every command on which got and want differ.
func compareTables(t *testing.T, what string, got, want *Table) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Errorf("%s: %d commands; want %d", what, got.Len(), want.Len())
	}
	for w := range want.All() {
		g, ok := got.Lookup(w.Name)
		if !ok {
			t.Errorf("%s: no %s", what, w.Name)
			continue
		}
		if dg, dw := describe(g), describe(w); dg != dw {
			t.Errorf("%s: %s differs:\n got %s\nwant %s", what, w.Name, dg, dw)
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestLoadMatchesBuiltin reads the installed server's table over RESP2 and
// RESP3 and checks that it says, for every command and subcommand, exactly
// what the generated builtin table says.
func TestLoadMatchesBuiltin(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := testContext(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			c := srv.Client(func(o *redis.Options) { o.Protocol = proto })

			// The server's reply alone, without the merge, so a parser that
			// read nothing could not pass by falling back to Builtin.
			reply, err := c.Do(ctx, "command").Result()
			if err != nil {
				t.Fatalf("COMMAND: %v", err)
			}
			specs, err := Parse(reply)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			compareTables(t, "Parse(COMMAND)", New(specs), Builtin())

			tab, err := Load(ctx, c)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			compareTables(t, "Load", tab, Builtin())
			if got := keyString(tab.Keys(line("SORT k STORE d"), nil)); got != "1:r 3:w" {
				t.Errorf("Load table Keys(SORT k STORE d) = %q; want %q", got, "1:r 3:w")
			}
		})
	}
}

func TestLoadNoPermission(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{
		Config: []string{"user limited on >secret ~* &* +@all -command"},
	})
	c := srv.Client(func(o *redis.Options) { o.Username, o.Password = "limited", "secret" })
	ctx := testContext(t)
	if err := c.Get(ctx, "k").Err(); err != nil && err != redis.Nil {
		t.Fatalf("GET as the limited user: %v", err)
	}
	tab, err := Load(ctx, c)
	if !errors.Is(err, ErrNoPermission) {
		t.Fatalf("Load as a user without COMMAND = %v, %v; want an error wrapping ErrNoPermission", tab, err)
	}
	if !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("Load error %q does not carry the server's NOPERM message", err)
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		t.Errorf("Load error %v does not wrap the redis.Error", err)
	}
}

func TestLoadServerDown(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	c := srv.Client(func(o *redis.Options) { o.MaxRetries = -1; o.DialTimeout = time.Second })
	if err := srv.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	_, err := Load(testContext(t), c)
	if err == nil || errors.Is(err, ErrNoPermission) {
		t.Fatalf("Load from a dead server = %v; want a connection error", err)
	}
	if !strings.Contains(err.Error(), "COMMAND") {
		t.Errorf("Load error %q does not say what failed", err)
	}
}

func TestLoadCluster(t *testing.T) {
	cl := redistest.NewCluster(t, redistest.ClusterOptions{})
	c := cl.Client()
	tab, err := Load(testContext(t), c)
	if err != nil {
		t.Fatalf("Load through a ClusterClient: %v", err)
	}
	compareTables(t, "Load(cluster)", tab, Builtin())
}

// TestLoadLegacy merges a reply shaped like Redis 6's (no key specs, no
// subcommands): known commands keep the builtin specs, module commands get
// specs from first key, last key and step.
func TestLoadLegacy(t *testing.T) {
	reply := []any{
		[]any{"get", int64(2), []any{"readonly", "fast"}, int64(1), int64(1), int64(1), []any{"@read", "@string", "@fast"}},
		[]any{"object", int64(-2), []any{"readonly", "random"}, int64(2), int64(2), int64(1), []any{"@keyspace", "@read", "@slow"}},
		[]any{"mod.mset", int64(-3), []any{"write", "module"}, int64(1), int64(-1), int64(2), []any{"@write"}},
		[]any{"mod.count", int64(-2), []any{"readonly", "module"}, int64(2), int64(3), int64(1)},
		[]any{"mod.movable", int64(-2), []any{"readonly", "module", "movablekeys"}, int64(1), int64(1), int64(1)},
		[]any{"mod.nokeys", int64(1), []any{"module", "some_future_flag"}, int64(0), int64(0), int64(0)},
		nil, // COMMAND INFO of an unknown name
	}
	specs, legacy, err := parseReply(reply)
	if err != nil || !legacy {
		t.Fatalf("parseReply = %v, legacy %v; want a legacy reply", err, legacy)
	}
	tab := merge(Builtin(), specs, legacy)
	if tab.Len() != Builtin().Len()+4 {
		t.Errorf("Len() = %d; want the builtin %d plus 4 module commands", tab.Len(), Builtin().Len())
	}
	get, _ := tab.Lookup("get")
	bget, _ := Builtin().Lookup("get")
	if get != bget {
		t.Errorf("legacy GET replaced the builtin spec: %s", describe(get))
	}
	tests := []struct{ line, want string }{
		{"OBJECT FREQ k", "2:r"},
		{"MOD.MSET a 1 b 2", "1:w 3:w"},
		{"mod.count x a b", "2:r 3:r"},
		{"mod.movable a b", "1:r"},
		{"mod.nokeys", ""},
	}
	for _, tc := range tests {
		if got := keyString(tab.Keys(line(tc.line), nil)); got != tc.want {
			t.Errorf("Keys(%q) = %q; want %q", tc.line, got, tc.want)
		}
	}
	if c := tab.Class("mod.mset"); c != ClassWrite {
		t.Errorf("Class(mod.mset) = %v; want write", c)
	}
}

// TestLoadNewCommand merges a Redis 7 reply, RESP3-shaped (maps), that adds
// a command the builtin table lacks and changes one it has.
func TestLoadNewCommand(t *testing.T) {
	spec := func(flags []any, bs, fk map[any]any) map[any]any {
		return map[any]any{"flags": flags, "begin_search": bs, "find_keys": fk}
	}
	reply := []any{
		[]any{"mod.copy", int64(-3), []any{"write", "module"}, int64(1), int64(1), int64(1), []any{}, []any{},
			[]any{
				spec([]any{"RO", "access"},
					map[any]any{"type": "index", "spec": map[any]any{"index": int64(1)}},
					map[any]any{"type": "range", "spec": map[any]any{"lastkey": int64(0), "keystep": int64(1), "limit": int64(0)}}),
				spec([]any{"OW", "update"},
					map[any]any{"type": "keyword", "spec": map[any]any{"keyword": "TO", "startfrom": int64(2)}},
					map[any]any{"type": "keynum", "spec": map[any]any{"keynumidx": int64(0), "firstkey": int64(1), "keystep": int64(1)}}),
			},
			[]any{},
		},
		[]any{"get", int64(-2), []any{"write"}, int64(1), int64(1), int64(1), []any{}, []any{}, []any{}, []any{}},
	}
	specs, legacy, err := parseReply(reply)
	if err != nil || legacy {
		t.Fatalf("parseReply = %v, legacy %v; want a Redis 7 reply", err, legacy)
	}
	tab := merge(Builtin(), specs, legacy)
	if got := keyString(tab.Keys(line("mod.copy src x TO 2 a b"), nil)); got != "1:r 5:w 6:w" {
		t.Errorf("Keys(mod.copy src x TO 2 a b) = %q; want %q", got, "1:r 5:w 6:w")
	}
	if got := tab.Class("get"); got != ClassWrite {
		t.Errorf("Class(get) after the server redefined it = %v; want write", got)
	}
	if got := keyString(tab.Keys(line("get k"), nil)); got != "" {
		t.Errorf("Keys(get k) after the server dropped its key specs = %q; want none", got)
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name  string
		reply any
	}{
		{"not an array", "OK"},
		{"short entry", []any{[]any{"get", int64(2)}}},
		{"entry not an array", []any{"get"}},
		{"name not a string", []any{[]any{int64(1), int64(2), []any{}, int64(1), int64(1), int64(1)}}},
		{"arity not a number", []any{[]any{"get", "two", []any{}, int64(1), int64(1), int64(1)}}},
		{"key spec odd map", []any{[]any{"get", int64(2), []any{}, int64(1), int64(1), int64(1), []any{}, []any{}, []any{[]any{"flags"}}}}},
		{"key spec index not a number", []any{[]any{"get", int64(2), []any{}, int64(1), int64(1), int64(1), []any{}, []any{},
			[]any{[]any{"begin_search", []any{"type", "index", "spec", []any{"index", "x"}}}}}}},
		{"bad subcommand", []any{[]any{"object", int64(-2), []any{}, int64(0), int64(0), int64(0), []any{}, []any{}, []any{}, []any{"freq"}}}},
	}
	for _, tc := range tests {
		if _, err := Parse(tc.reply); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%s) = %v; want an error wrapping ErrMalformed", tc.name, err)
		}
	}
}
