package inspect

import (
	"context"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/command"
)

// SlowlogOptions configure Slowlog.
type SlowlogOptions struct {
	// Entries is how many of the newest entries to read from each node.
	// default: 0, every entry kept (SLOWLOG GET -1)
	Entries int64

	// Top is how many keys and commands to report.
	// default: 20
	Top int

	// Commands is the command table used to find keys in the logged
	// arguments.
	// default: the server's (command.Load), else command.Builtin
	Commands *command.Table
}

// SlowlogReport is the result of Slowlog.
type SlowlogReport struct {
	Header
	// Entries is the number of slow log entries read over all nodes.
	Entries int `json:"entries"`
	// Oldest and Newest are the times of the oldest and newest entry.
	Oldest *time.Time `json:"oldest,omitempty"`
	Newest *time.Time `json:"newest,omitempty"`
	// Settings are each node's slowlog-log-slower-than and slowlog-max-len
	// (null when CONFIG GET is not permitted).
	Settings []SlowlogSetting `json:"settings"`
	// Keys aggregates the entries by key, by total time.
	Keys []SlowKey `json:"keys"`
	// Commands aggregates the entries by command, by total time.
	Commands []SlowCommand `json:"commands"`
}

// SlowlogSetting is one node's slow log configuration.
type SlowlogSetting struct {
	Node         string `json:"node"`
	SlowerThanUS *int64 `json:"slower_than_us"`
	MaxLen       *int64 `json:"max_len"`
}

// SlowStats are the figures of a group of slow log entries.
type SlowStats struct {
	Count   int64 `json:"count"`
	TotalUS int64 `json:"total_us"`
	MaxUS   int64 `json:"max_us"`
}

func (s *SlowStats) add(us int64) {
	s.Count++
	s.TotalUS += us
	s.MaxUS = max(s.MaxUS, us)
}

// SlowKey is one key of a Slowlog report.
type SlowKey struct {
	Rank int `json:"rank"`
	KeyRef
	// Truncated reports that the slow log cut the key (Redis keeps the
	// first 128 bytes of each argument).
	Truncated bool `json:"truncated"`
	// Nodes are the nodes that logged the key.
	Nodes []string `json:"nodes"`
	SlowStats
	// Commands are the commands logged with the key.
	Commands []NameCount `json:"commands"`
}

// SlowCommand is one command of a Slowlog report.
type SlowCommand struct {
	Name string `json:"name"`
	SlowStats
}

// slowTruncated matches an argument the slow log cut short.
var slowTruncated = regexp.MustCompile(`\.\.\. \(\d+ more bytes\)$`)

// Slowlog reads SLOWLOG GET on every node, primaries and replicas, finds
// the keys of each logged command from the command table, and aggregates
// the entries by key and by command: count, total and maximum duration.
// It prints no values.
func Slowlog(ctx context.Context, t *Target, opts SlowlogOptions) (*SlowlogReport, error) {
	if opts.Top == 0 {
		opts.Top = 20
	}
	if opts.Top < 0 {
		return nil, newError(ErrBadOptions, "", "top %d is negative", opts.Top)
	}
	r := t.begin("slowlog")
	r.includeDownReplicas()
	nodes := t.live()
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live node to inspect")
	}
	r.use(nodes...)
	rep := &SlowlogReport{Keys: []SlowKey{}, Commands: []SlowCommand{}, Settings: []SlowlogSetting{}}
	table := opts.Commands
	if table == nil {
		var err error
		if table, err = command.Load(ctx, nodes[0].client); err != nil {
			table = command.Builtin()
			r.note("finding keys with redhot's built-in Redis 7.0 command table: COMMAND failed (%s)", oneLine(err.Error()))
		}
	}
	r.note("cost: one SLOWLOG GET and two CONFIG GET per node; read-only")
	n := opts.Entries
	if n <= 0 {
		n = -1
	}
	var (
		mu       sync.Mutex // guards the maps and rep below
		keys     = map[string]*slowKeyAgg{}
		commands = map[string]*SlowStats{}
	)
	failures := forEach(ctx, nodes, func(ctx context.Context, nd *node) error {
		entries, err := nd.client.SlowLogGet(ctx, n).Result()
		if err != nil && n < 0 && isRedisError(err) && !isNoPerm(err) {
			// Before Redis 7.0, -1 is not a count.
			entries, err = nd.client.SlowLogGet(ctx, 1<<20).Result()
		}
		if err != nil {
			return classify(nd.addr, "SLOWLOG GET", err)
		}
		set := SlowlogSetting{Node: nd.addr}
		if v, err := configGet(ctx, nd, "slowlog-log-slower-than"); err == nil {
			if x, err := strconv.ParseInt(v, 10, 64); err == nil {
				set.SlowerThanUS = &x
			}
		}
		if v, err := configGet(ctx, nd, "slowlog-max-len"); err == nil {
			if x, err := strconv.ParseInt(v, 10, 64); err == nil {
				set.MaxLen = &x
			}
		}
		mu.Lock()
		defer mu.Unlock()
		rep.Settings = append(rep.Settings, set)
		var ks []command.Key
		for _, e := range entries {
			rep.addEntry(table, nd, e, keys, commands, &ks)
		}
		return nil
	})
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	slices.SortFunc(rep.Settings, func(a, b SlowlogSetting) int { return strings.Compare(a.Node, b.Node) })
	for _, s := range rep.Settings {
		if s.SlowerThanUS == nil {
			r.quietNote("%s: CONFIG GET is not permitted, so the slow log's threshold is unknown", s.Node)
		} else if *s.SlowerThanUS < 0 {
			r.warn("%s: the slow log is disabled (slowlog-log-slower-than %d)", s.Node, *s.SlowerThanUS)
		}
	}
	rep.Keys = append(rep.Keys, sortedSlowKeys(keys, opts.Top)...)
	for name, s := range commands {
		rep.Commands = append(rep.Commands, SlowCommand{Name: name, SlowStats: *s})
	}
	slices.SortFunc(rep.Commands, func(a, b SlowCommand) int {
		if a.TotalUS != b.TotalUS {
			if a.TotalUS > b.TotalUS {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(rep.Commands) > opts.Top {
		rep.Commands = rep.Commands[:opts.Top]
	}
	r.quietNote("the slow log keeps the first 32 arguments of a command and the first 128 bytes of each; keys cut short are marked truncated")
	rep.Header = r.finish(ctx)
	return rep, nil
}

type slowKeyAgg struct {
	key       string
	truncated bool
	nodes     map[string]bool
	stats     SlowStats
	cmds      map[string]int64
}

// addEntry adds one slow log entry.
func (rep *SlowlogReport) addEntry(table *command.Table, nd *node, e redis.SlowLog, keys map[string]*slowKeyAgg, commands map[string]*SlowStats, ks *[]command.Key) {
	if len(e.Args) == 0 {
		return
	}
	rep.Entries++
	at := e.Time.UTC()
	if rep.Oldest == nil || at.Before(*rep.Oldest) {
		rep.Oldest = &at
	}
	if rep.Newest == nil || at.After(*rep.Newest) {
		rep.Newest = &at
	}
	us := e.Duration.Microseconds()
	spec := table.Find(e.Args)
	name := strings.ToLower(e.Args[0])
	if spec != nil {
		name = spec.Name
	}
	cs := commands[name]
	if cs == nil {
		cs = &SlowStats{}
		commands[name] = cs
	}
	cs.add(us)
	*ks = spec.Keys(e.Args, *ks)
	seen := map[string]bool{}
	for _, k := range *ks {
		key := e.Args[k.Pos]
		if seen[key] {
			continue
		}
		seen[key] = true
		a := keys[key]
		if a == nil {
			a = &slowKeyAgg{key: key, nodes: map[string]bool{}, cmds: map[string]int64{}, truncated: slowTruncated.MatchString(key)}
			keys[key] = a
		}
		a.nodes[nd.addr] = true
		a.stats.add(us)
		a.cmds[name]++
	}
}

func sortedSlowKeys(keys map[string]*slowKeyAgg, top int) []SlowKey {
	out := make([]SlowKey, 0, len(keys))
	for _, a := range keys {
		out = append(out, SlowKey{
			KeyRef: keyRef(a.key), Truncated: a.truncated, Nodes: slices.Sorted(maps.Keys(a.nodes)),
			SlowStats: a.stats, Commands: sortCounts(a.cmds),
		})
	}
	slices.SortFunc(out, func(a, b SlowKey) int {
		if a.TotalUS != b.TotalUS {
			if a.TotalUS > b.TotalUS {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(out) > top {
		out = out[:top]
	}
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// WriteTable implements Report.
func (rep *SlowlogReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	span := ""
	if rep.Oldest != nil {
		span = fmt.Sprintf(" from %s to %s", rep.Oldest.Format(time.DateTime), rep.Newest.Format(time.DateTime))
	}
	writeTitle(w, h, "%d slow log entries on %s%s (UTC)", rep.Entries, plural(usedNodes(h), "node", "nodes"), span)
	fmt.Fprintln(w, "BY KEY")
	tb := newTable(w, "RANK", "KEY", "COUNT", "TOTAL", "MAX", "COMMANDS", "NODES")
	for _, k := range rep.Keys {
		key := shortKey(k.Key)
		if k.Truncated {
			key += " (truncated)"
		}
		tb.row(strconv.Itoa(k.Rank), key, strconv.FormatInt(k.Count, 10), micros(k.TotalUS), micros(k.MaxUS),
			countsCell(k.Commands, k.Count, 2), strings.Join(k.Nodes, ","))
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if len(rep.Keys) == 0 {
		fmt.Fprintln(w, "(no keys in the slow log)")
	}
	fmt.Fprintln(w, "\nBY COMMAND")
	tb = newTable(w, "COMMAND", "COUNT", "TOTAL", "MAX")
	for _, c := range rep.Commands {
		tb.row(c.Name, strconv.FormatInt(c.Count, 10), micros(c.TotalUS), micros(c.MaxUS))
	}
	if err := tb.flush(); err != nil {
		return err
	}
	writeFooter(w, h)
	return nil
}

// micros formats microseconds as a duration.
func micros(us int64) string {
	d := time.Duration(us) * time.Microsecond
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(us, 10) + "µs"
	case d < time.Second:
		return trimZero(strconv.FormatFloat(float64(us)/1e3, 'f', 1, 64)) + "ms"
	}
	return trimZero(strconv.FormatFloat(d.Seconds(), 'f', 2, 64)) + "s"
}
