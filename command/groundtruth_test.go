package command

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// This file checks the keys we find against the server's own answer,
// COMMAND GETKEYSANDFLAGS, for thousands of command lines generated from
// the argument grammar the server publishes in COMMAND DOCS.

// docArg is one argument of a command as COMMAND DOCS describes it.
type docArg struct {
	name, typ, token        string
	optional, multiple, mtk bool // mtk: the token repeats with each value
	args                    []docArg
}

// commandDoc is the argument grammar of a command and its subcommands.
type commandDoc struct {
	args []docArg
	subs map[string]*commandDoc
}

func parseDocs(t *testing.T, reply any) map[string]*commandDoc {
	t.Helper()
	docs := make(map[string]*commandDoc)
	err := eachPair(reply, func(name string, v any) error {
		d, err := parseDoc(v)
		docs[strings.ToLower(name)] = d
		return err
	})
	if err != nil {
		t.Fatalf("parse COMMAND DOCS: %v", err)
	}
	return docs
}

func parseDoc(v any) (*commandDoc, error) {
	d := &commandDoc{}
	err := eachPair(v, func(k string, v any) error {
		switch k {
		case "arguments":
			args, err := parseDocArgs(v)
			d.args = args
			return err
		case "subcommands":
			d.subs = make(map[string]*commandDoc)
			return eachPair(v, func(name string, v any) error {
				sub, err := parseDoc(v)
				_, short, _ := strings.Cut(strings.ToLower(name), "|")
				d.subs[short] = sub
				return err
			})
		}
		return nil
	})
	return d, err
}

func parseDocArgs(v any) ([]docArg, error) {
	list, _ := v.([]any)
	out := make([]docArg, 0, len(list))
	for _, e := range list {
		var a docArg
		err := eachPair(e, func(k string, v any) error {
			switch k {
			case "name":
				a.name, _ = asString(v)
			case "type":
				a.typ, _ = asString(v)
			case "token":
				a.token, _ = asString(v)
			case "flags":
				fl, _ := v.([]any)
				for _, f := range fl {
					switch s, _ := asString(f); s {
					case "optional":
						a.optional = true
					case "multiple":
						a.multiple = true
					case "multiple_token":
						a.mtk = true
					}
				}
			case "arguments":
				sub, err := parseDocArgs(v)
				a.args = sub
				return err
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// lineGen makes command lines from a grammar. Values are unique so keys
// can be matched by name; now and then a value is replaced by a keyword or
// a malformed number, or an argument dropped or repeated, to exercise the
// paths Redis takes for odd lines.
type lineGen struct {
	rng *rand.Rand
	n   int
}

var confusers = []string{
	"STORE", "STOREDIST", "STREAMS", "KEYS", "GET", "BY", "LIMIT", "AUTH",
	"AUTH2", "COUNT", "BLOCK", "GROUP", "NOACK", "SET", "INCRBY", "OVERFLOW",
	"COPY", "REPLACE", "streams", "store", "get",
}

var oddNumbers = []string{"0", "-1", "abc", "99999999999", "4294967297", "+1", "01", " 2", "2x", "3"}

func (g *lineGen) value(typ string) string {
	g.n++
	if g.rng.IntN(25) == 0 {
		return confusers[g.rng.IntN(len(confusers))]
	}
	switch typ {
	case "key":
		return "key:" + strconv.Itoa(g.n)
	case "integer":
		if g.rng.IntN(15) == 0 {
			return oddNumbers[g.rng.IntN(len(oddNumbers))]
		}
		return strconv.Itoa(1 + g.rng.IntN(3))
	case "double":
		return "1.5"
	case "unix-time":
		return "1700000000"
	case "pattern":
		return "p*" + strconv.Itoa(g.n)
	}
	return "v:" + strconv.Itoa(g.n)
}

func (g *lineGen) token(tok string) string {
	if g.rng.IntN(2) == 0 {
		return strings.ToLower(tok)
	}
	return tok
}

func (g *lineGen) args(args []docArg, out []string) []string {
	count := -1 // a numkeys argument's value, for the multiple argument after it
	for i, a := range args {
		if a.optional && g.rng.IntN(2) == 0 {
			continue
		}
		reps := 1
		if a.multiple {
			reps = 1 + g.rng.IntN(3)
			if count > 0 {
				reps, count = count, -1
			}
		}
		if a.typ == "integer" && strings.Contains(a.name, "numkeys") && i+1 < len(args) && args[i+1].multiple {
			count = 1 + g.rng.IntN(3)
			if a.token != "" {
				out = append(out, g.token(a.token))
			}
			v := strconv.Itoa(count)
			if g.rng.IntN(15) == 0 {
				v = oddNumbers[g.rng.IntN(len(oddNumbers))]
			}
			out = append(out, v)
			continue
		}
		for r := 0; r < reps; r++ {
			if a.token != "" && (r == 0 || a.mtk) {
				out = append(out, g.token(a.token))
			}
			out = g.one(a, out)
		}
	}
	return out
}

func (g *lineGen) one(a docArg, out []string) []string {
	switch a.typ {
	case "pure-token":
		return out
	case "oneof":
		if len(a.args) == 0 {
			return out
		}
		return g.args([]docArg{mandatory(a.args[g.rng.IntN(len(a.args))])}, out)
	case "block":
		return g.args(a.args, out)
	}
	return append(out, g.value(a.typ))
}

func mandatory(a docArg) docArg {
	a.optional = false
	return a
}

// line makes one command line for name (and sub, if a subcommand).
func (g *lineGen) line(name, sub string, d *commandDoc) []string {
	out := []string{g.token(name)}
	if sub != "" {
		out = append(out, g.token(sub))
	}
	out = g.args(d.args, out)
	switch g.rng.IntN(20) {
	case 0:
		if len(out) > 1 {
			out = slices.Delete(out, len(out)-1, len(out))
		}
	case 1:
		out = append(out, out[len(out)-1])
	}
	return out
}

// serverKeys is the answer of COMMAND GETKEYSANDFLAGS as "name[flags]"
// strings; an error reply (no keys, bad arity, invalid arguments) is none.
func serverKeys(cmd *redis.Cmd) ([]string, error) {
	v, err := cmd.Result()
	if err != nil {
		if _, ok := err.(redis.Error); ok {
			return nil, nil
		}
		return nil, err
	}
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		pair, _ := e.([]any)
		if len(pair) != 2 {
			return nil, fmt.Errorf("unexpected GETKEYSANDFLAGS element %v", e)
		}
		name, _ := asString(pair[0])
		var flags KeyFlags
		fl, _ := pair[1].([]any)
		for _, f := range fl {
			s, _ := asString(f)
			kf, ok := ParseKeyFlag(s)
			if !ok {
				return nil, fmt.Errorf("unknown key flag %q", s)
			}
			flags |= kf
		}
		out = append(out, name+"["+flags.String()+"]")
	}
	return out, nil
}

func ourKeys(tab *Table, args []string) []string {
	keys := tab.Keys(args, nil)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, args[k.Pos]+"["+k.Flags.String()+"]")
	}
	return out
}

func TestKeysMatchServer(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	c := srv.Client(func(o *redis.Options) { o.Protocol = 2 })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	docsReply, err := c.Do(ctx, "command", "docs").Result()
	if err != nil {
		t.Fatalf("COMMAND DOCS: %v", err)
	}
	docs := parseDocs(t, docsReply)
	tab := Builtin()

	// Lines to check: the hand-written cases of TestKeys, then generated
	// lines for every command and subcommand of the server.
	var lines [][]string
	for _, tc := range keyCases {
		if args := line(tc.line); len(args) > 0 {
			lines = append(lines, args)
		}
	}
	perCommand := 200
	if n, err := strconv.Atoi(os.Getenv("GETKEYS_LINES")); err == nil && n > 0 {
		perCommand = n // lines per command; subcommands get a quarter
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (set GETKEYS_SEED to repeat)", seed)
	if s, err := strconv.ParseUint(os.Getenv("GETKEYS_SEED"), 10, 64); err == nil {
		seed = s
	}
	g := &lineGen{rng: rand.New(rand.NewPCG(seed, 1))}
	names := slices.Sorted(maps.Keys(docs))
	for _, name := range names {
		d := docs[name]
		if len(d.subs) > 0 {
			for _, sub := range slices.Sorted(maps.Keys(d.subs)) {
				for range perCommand / 4 {
					lines = append(lines, g.line(name, sub, d.subs[sub]))
				}
			}
			continue
		}
		for range perCommand {
			lines = append(lines, g.line(name, "", d))
		}
	}

	const batch = 1000
	var withKeys, checked int
	perCmd := make(map[string]int)
	for start := 0; start < len(lines); start += batch {
		chunk := lines[start:min(start+batch, len(lines))]
		pipe := c.Pipeline()
		cmds := make([]*redis.Cmd, len(chunk))
		for i, args := range chunk {
			a := make([]any, 0, len(args)+2)
			a = append(a, "command", "getkeysandflags")
			for _, s := range args {
				a = append(a, s)
			}
			cmds[i] = pipe.Do(ctx, a...)
		}
		_, _ = pipe.Exec(ctx) // errors are per command
		for i, args := range chunk {
			want, err := serverKeys(cmds[i])
			if err != nil {
				t.Fatalf("COMMAND GETKEYSANDFLAGS %q: %v", args, err)
			}
			got := ourKeys(tab, args)
			checked++
			if len(want) > 0 {
				withKeys++
				perCmd[strings.ToLower(args[0])]++
			}
			if !slices.Equal(got, want) {
				t.Errorf("Keys(%q) = %q; server says %q", args, got, want)
			}
		}
	}
	t.Logf("checked %d lines against the server, %d with keys, over %d commands with keys", checked, withKeys, len(perCmd))
	if withKeys < checked/3 {
		t.Errorf("only %d of %d generated lines had keys; the generator is not exercising key finding", withKeys, checked)
	}
	for _, name := range []string{"sort", "migrate", "eval", "fcall", "xread", "xreadgroup", "zunionstore", "georadius", "lmpop", "blmpop", "bzmpop", "sintercard", "set", "bitfield", "object", "memory", "xinfo"} {
		if perCmd[name] == 0 {
			t.Errorf("no generated %s line had keys", strings.ToUpper(name))
		}
	}
}
