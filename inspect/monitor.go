package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/heat"
)

// MonitorOptions configure Monitor.
type MonitorOptions struct {
	// Duration is how long to sample.
	// default: 10 seconds
	Duration time.Duration

	// MaxCommands stops sampling after this many commands, over all nodes.
	// default: 0 (no limit)
	MaxCommands int64

	// Top is how many keys to report.
	// default: 20
	Top int

	// MaxOutputBuffer stops sampling a node when the server holds more
	// than this many bytes of MONITOR output for redhot, because redhot
	// cannot keep up: the server would otherwise grow its memory without
	// bound (MONITOR clients have no output buffer limit by default). It
	// needs CLIENT LIST; without that permission the check is skipped.
	// default: 64 MiB
	MaxOutputBuffer int64

	// Commands is the command table used to find keys.
	// default: the server's (command.Load), else command.Builtin
	Commands *command.Table

	// Progress, if set, is told the seconds elapsed.
	// default: none
	Progress Progress

	// ShowValues puts one recent command line of each reported key, with
	// all its arguments, in MonitorKey.Example. Arguments are values, and
	// values can be secrets (tokens, personal data), so reports carry
	// keys, command names and client addresses only unless this is set.
	// default: false
	ShowValues bool
}

// MonitorReport is the result of Monitor.
type MonitorReport struct {
	Header
	// CommandTable is "server" when keys were found with the server's
	// COMMAND key specs, "builtin" when with redhot's Redis 7.0 table.
	CommandTable string `json:"command_table"`
	// Sampled is the number of commands seen in the database.
	Sampled int64 `json:"commands_sampled"`
	// SampledSeconds is the span of the samples' timestamps, the longest
	// over the nodes.
	SampledSeconds float64 `json:"sampled_seconds"`
	// Skipped counts lines left out, by reason: "other_db",
	// "replication" (a replica applying its primary's writes),
	// "unparsable", "too_long".
	Skipped map[string]int64 `json:"skipped"`
	// Rate, ReadRate and WriteRate are key accesses per second over all
	// nodes.
	Rate      float64 `json:"accesses_per_sec"`
	ReadRate  float64 `json:"reads_per_sec"`
	WriteRate float64 `json:"writes_per_sec"`
	// Keys are the keys with the highest access rates, highest first.
	Keys []MonitorKey `json:"keys"`
	// Commands are the commands seen, most frequent first.
	Commands []NameCount `json:"commands"`
}

// MonitorKey is one key of a Monitor report.
type MonitorKey struct {
	Rank int `json:"rank"`
	KeyRef
	// Truncated reports that Key is only the first 1024 bytes.
	Truncated bool   `json:"truncated"`
	Node      string `json:"node"`
	// Rate is accesses per second, exponentially weighted over the
	// sampling duration; Low and High bound it (see heat.KeyStat).
	Rate float64 `json:"rate"`
	Low  float64 `json:"rate_low"`
	High float64 `json:"rate_high"`
	// ReadRate and WriteRate split Rate.
	ReadRate  float64 `json:"read_rate"`
	WriteRate float64 `json:"write_rate"`
	// Share is the key's part of the node's key accesses.
	Share float64 `json:"share"`
	// Count is the number of accesses counted in detail, and Commands and
	// Clients their split. A key is counted in detail while it stays in a
	// bounded table, so for a key that entered late Count may be below
	// its full count.
	Count    int64       `json:"count"`
	Commands []NameCount `json:"commands"`
	Clients  []NameCount `json:"clients"`
	// Example is a recent command line that accessed the key, arguments
	// quoted as keys are and cut at maxExampleBytes. It is set only with
	// MonitorOptions.ShowValues, as it shows values.
	Example string `json:"example,omitempty"`
}

// maxExampleBytes is how much of a command line MonitorKey.Example keeps.
const maxExampleBytes = 256

// NameCount is a name with a count: a command or a client address.
type NameCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// maxMonitorKeyBytes is how much of each key the tracker keeps.
const maxMonitorKeyBytes = 1024

// Monitor samples the commands of every primary (and of the replicas, with
// ConnOptions.Replicas) with MONITOR for opts.Duration, finds each
// command's keys from the server's key specs, feeds them to a heat.Tracker
// per node on the servers' own timestamps, and reports the hottest keys
// with their rates, read/write split, top commands and top clients. It
// reports no values unless opts.ShowValues. MONITOR is costly: the server formats every command
// for redhot, which can halve a busy server's throughput while it runs.
func Monitor(ctx context.Context, t *Target, opts MonitorOptions) (*MonitorReport, error) {
	if opts.Duration == 0 {
		opts.Duration = 10 * time.Second
	}
	if opts.Duration < 0 || opts.MaxCommands < 0 || opts.Top < 0 || opts.MaxOutputBuffer < 0 {
		return nil, newError(ErrBadOptions, "", "monitor options must not be negative")
	}
	if opts.Top == 0 {
		opts.Top = 20
	}
	if opts.MaxOutputBuffer == 0 {
		opts.MaxOutputBuffer = 64 << 20
	}
	if opts.Progress == nil {
		opts.Progress = noProgress{}
	}
	r := t.begin("monitor")
	nodes := t.primaries()
	if t.opts.Replicas {
		for _, p := range slices.Clone(nodes) {
			nodes = append(nodes, t.replicasOf(p)...)
		}
	}
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live primary to monitor")
	}
	r.use(nodes...)
	rep := &MonitorReport{Keys: []MonitorKey{}, Commands: []NameCount{}, Skipped: map[string]int64{}}

	table := opts.Commands
	rep.CommandTable = "builtin"
	if table == nil {
		var err error
		table, err = command.Load(ctx, nodes[0].client)
		if err != nil {
			table = command.Builtin()
			r.note("finding keys with redhot's built-in Redis 7.0 command table: COMMAND failed (%s)", oneLine(err.Error()))
		} else {
			rep.CommandTable = "server"
		}
	}
	limit := "no command limit"
	if opts.MaxCommands > 0 {
		limit = fmt.Sprintf("at most %d commands", opts.MaxCommands)
	}
	r.note("cost: MONITOR makes each server format every command it runs and send it to redhot; expect a busy server's throughput to drop, often by about half, while it runs (%v, %s, %s); redhot stops early if a server buffers more than %s for it",
		opts.Duration, limit, plural(len(nodes), "node", "nodes"), bytesHuman(float64(opts.MaxOutputBuffer)))

	runCtx, stop := context.WithTimeout(ctx, opts.Duration)
	defer stop()
	var count atomic.Int64
	opts.Progress.Start("monitoring (seconds)", int64(opts.Duration/time.Second))
	ticker := startTicker(runCtx, opts.Progress)
	results := make([]*monitorNode, len(nodes))
	failures := forEach(runCtx, nodes, func(ctx context.Context, n *node) error {
		m := &monitorNode{
			t: t, r: r, n: n, table: table, opts: &opts, db: t.DB(),
			count: &count, stopAll: stop,
		}
		results[indexOf(nodes, n)] = m
		return m.run(ctx)
	})
	stop()
	ticker.Wait()
	opts.Progress.Done()
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	rep.collect(results, opts.Top)
	for _, m := range results {
		if m != nil && m.tr != nil {
			m.tr.Close()
		}
	}
	rep.Header = r.finish(ctx)
	return rep, nil
}

// startTicker adds one unit to p every second until ctx is done.
func startTicker(ctx context.Context, p Progress) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				p.Add(1)
			}
		}
	})
	return &wg
}

// monitorNode samples one node.
type monitorNode struct {
	t       *Target
	r       *run
	n       *node
	table   *command.Table
	opts    *MonitorOptions
	db      int
	count   *atomic.Int64 // commands over all nodes
	stopAll func()

	// Set up and used by run's goroutine, read after it returns.
	tr        *heat.Tracker
	clock     *heat.FakeClock
	details   keyDetails
	commands  map[string]int64
	names     map[string]string // raw command name → reported name
	sampled   int64
	skipped   map[string]int64
	first     time.Time
	last      time.Time
	masterSrc string // a replica's primary as it appears in MONITOR
}

func (m *monitorNode) run(ctx context.Context) error {
	window := max(m.opts.Duration, time.Second)
	m.clock = heat.NewFakeClock(time.Now())
	tr, err := heat.New(heat.Options{
		Capacity:    max(1000, 8*m.opts.Top),
		Window:      window,
		MaxKeyBytes: maxMonitorKeyBytes,
		Stripes:     1,
		Clock:       m.clock,
	})
	if err != nil {
		return err
	}
	m.tr = tr
	m.details = keyDetails{max: max(8192, 16*m.opts.Top), m: map[string]*keyDetail{}}
	m.commands = map[string]int64{}
	m.names = map[string]string{}
	m.skipped = map[string]int64{}
	var keys []command.Key
	return m.session(ctx, func() {}, func(line *MonitorLine) {
		keys = m.observe(line, keys)
		if max := m.opts.MaxCommands; max > 0 && m.count.Add(1) >= max {
			m.stopAll()
		}
	})
}

// session runs MONITOR on m's node until ctx is done, calling started
// once the server has accepted MONITOR and each for every command line of
// m's database that is not the replication stream from a primary. Lines
// it cannot use are counted in m.skipped. The line passed to each is
// valid only until each returns. A server that holds more MONITOR output
// for us than we can read (see watchBuffer) ends the session early with a
// warning, not an error.
func (m *monitorNode) session(ctx context.Context, started func(), each func(*MonitorLine)) error {
	if m.n.role == Replica {
		// The link from the primary shows as the primary's address.
		if info, err := nodeInfo(ctx, m.n, "replication"); err == nil {
			m.masterSrc = net.JoinHostPort(info["master_host"], info["master_port"])
		}
	}
	c, err := m.t.dialRaw(ctx, m.n)
	if err != nil {
		return err
	}
	defer c.Close()
	id, err := c.do(m.t.opts.Timeout, "CLIENT", "ID")
	if err != nil {
		id = ""
	}
	if _, err := c.do(m.t.opts.Timeout, "MONITOR"); err != nil {
		return classify(m.n.addr, "MONITOR", err)
	}
	started()
	// Unblock the read loop when sampling ends.
	unblock := context.AfterFunc(ctx, func() { c.nc.SetReadDeadline(time.Now()) })
	defer unblock()

	var watch sync.WaitGroup
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer func() { stopWatch(); watch.Wait() }()
	overflow := make(chan int64, 1)
	if id != "" {
		watch.Go(func() { m.watchBuffer(watchCtx, id, overflow, c) })
	}

	var line MonitorLine
	for {
		raw, err := c.readLine()
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				m.skipped["too_long"]++
				continue
			}
			select {
			case omem := <-overflow:
				m.r.warn("%s: stopped sampling early: the server was holding %s of MONITOR output for redhot, which could not keep up", m.n.addr, bytesHuman(float64(omem)))
				return nil
			default:
			}
			if ctx.Err() != nil {
				return nil
			}
			return classify(m.n.addr, "MONITOR", err)
		}
		if len(raw) > 0 && raw[0] == '-' {
			return classify(m.n.addr, "MONITOR", respError(raw[1:]))
		}
		// The line's arguments are used only until the next line; what
		// is kept (keys in the tracker and the detail table, names) is
		// copied.
		if err := parseMonitorLine(raw, &line, false); err != nil {
			m.skipped["unparsable"]++
			continue
		}
		if line.DB != m.db {
			m.skipped["other_db"]++
			continue
		}
		if m.masterSrc != "" && line.Source == m.masterSrc {
			m.skipped["replication"]++
			continue
		}
		each(&line)
	}
}

// observe counts one command line.
func (m *monitorNode) observe(line *MonitorLine, keys []command.Key) []command.Key {
	m.sampled++
	if m.first.IsZero() {
		m.first = line.Time
	}
	if line.Time.After(m.last) {
		m.last = line.Time
		m.clock.Set(line.Time)
	}
	spec := m.table.Find(line.Args)
	name := m.name(spec, line.Args[0])
	m.commands[name]++
	if spec == nil || isScriptCall(spec.Name) {
		// Scripts' and functions' own commands show as "lua" lines with
		// their keys; counting the declared keys too would count twice.
		return keys
	}
	keys = spec.Keys(line.Args, keys)
	for _, k := range keys {
		key := line.Args[k.Pos]
		op := heat.Read
		if k.Access == command.Write {
			op = heat.Write
		}
		m.tr.Observe(key, op)
		m.details.add(key, name, line.Source, op == heat.Write)
		if m.opts.ShowValues {
			m.details.setExample(key, line.Args)
		}
	}
	return keys
}

func isScriptCall(name string) bool {
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// name returns the name a command is reported by: the spec's name
// ("get", "object|freq"), else the lowercased name as sent.
func (m *monitorNode) name(spec *command.Spec, raw string) string {
	if spec != nil {
		return spec.Name
	}
	if s, ok := m.names[raw]; ok {
		return s
	}
	s := strings.ToLower(raw)
	if len(m.names) < 1024 {
		m.names[strings.Clone(raw)] = s
	}
	return s
}

// watchBuffer polls the MONITOR client's output buffer (omem) every
// second and, past MaxOutputBuffer, reports it on overflow and unblocks the
// read loop.
func (m *monitorNode) watchBuffer(ctx context.Context, id string, overflow chan<- int64, c *rawConn) {
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		s, err := m.n.client.Do(ctx, "client", "list", "id", id).Text()
		if err != nil {
			if ctx.Err() == nil && isRedisError(err) {
				m.r.quietNote("%s: CLIENT LIST is not permitted, so redhot cannot watch the server's MONITOR buffer for it", m.n.addr)
				return
			}
			continue
		}
		omem := clientField(s, "omem")
		if omem > m.opts.MaxOutputBuffer {
			overflow <- omem
			c.nc.SetReadDeadline(time.Now())
			return
		}
	}
}

// clientField returns a numeric field of a CLIENT LIST line.
func clientField(line, field string) int64 {
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok && k == field {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// collect merges the nodes' results into rep.
func (rep *MonitorReport) collect(nodes []*monitorNode, top int) {
	var keys []MonitorKey
	commands := map[string]int64{}
	for _, m := range nodes {
		if m == nil || m.tr == nil {
			continue
		}
		rep.Sampled += m.sampled
		for k, v := range m.skipped {
			rep.Skipped[k] += v
		}
		for k, v := range m.commands {
			commands[k] += v
		}
		if m.sampled == 0 {
			continue
		}
		rep.SampledSeconds = max(rep.SampledSeconds, m.last.Sub(m.first).Seconds())
		tot := m.tr.Totals()
		rep.Rate += tot.Rate
		rep.ReadRate += tot.ReadRate
		rep.WriteRate += tot.WriteRate
		for _, ks := range m.tr.Top(top) {
			mk := MonitorKey{
				KeyRef: keyRef(ks.Key), Truncated: ks.Truncated, Node: m.n.addr,
				Rate: ks.Rate, Low: ks.Low, High: ks.High, ReadRate: ks.ReadRate, WriteRate: ks.WriteRate,
				Share: ks.Share, Commands: []NameCount{}, Clients: []NameCount{},
			}
			if d := m.details.m[ks.Key]; d != nil && !ks.Truncated {
				mk.Count = d.count
				mk.Commands = d.cmds.top()
				mk.Clients = d.clients.top()
				mk.Example = d.example
			}
			keys = append(keys, mk)
		}
	}
	slices.SortStableFunc(keys, func(a, b MonitorKey) int {
		switch {
		case a.Rate > b.Rate:
			return -1
		case a.Rate < b.Rate:
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(keys) > top {
		keys = keys[:top]
	}
	for i := range keys {
		keys[i].Rank = i + 1
	}
	rep.Keys = keys
	rep.Commands = sortCounts(commands)
}

// sortCounts returns the counts, highest first, ties by name.
func sortCounts(m map[string]int64) []NameCount {
	out := make([]NameCount, 0, len(m))
	for k, v := range m {
		out = append(out, NameCount{k, v})
	}
	slices.SortFunc(out, func(a, b NameCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// keyDetails counts, for a bounded set of keys, the commands and clients
// that accessed them. When it is full, new keys are left out until the
// next prune, which runs every pruneEvery accesses and drops the half of
// the keys with the lowest counts: keys that stay hot keep their counts,
// and a hot key that arrived while the table was full gets in right after.
// On traffic spread over many keys this costs one map lookup per access,
// not an allocation.
type keyDetails struct {
	max  int
	m    map[string]*keyDetail
	adds int // accesses since the last prune
}

// pruneEvery is how many accesses keyDetails takes between prunes, as a
// multiple of its size.
const pruneEvery = 8

type keyDetail struct {
	count   int64
	cmds    smallCounter
	clients smallCounter
	example string // a recent command line; only with ShowValues
}

// setExample keeps args as the example command line of key, if key is in
// the table. Lines are formatted once every exampleEvery accesses of a
// key, so a hot key costs little.
func (d *keyDetails) setExample(key string, args []string) {
	e := d.m[key]
	if e == nil || (e.example != "" && e.count%exampleEvery != 0) {
		return
	}
	e.example = formatExample(args)
}

// exampleEvery is how many accesses of a key pass between updates of its
// example line.
const exampleEvery = 64

// formatExample renders a command line with each argument quoted as
// QuoteKey does, cut at maxExampleBytes.
func formatExample(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 0 {
			a = strings.ToLower(a)
		}
		b.WriteString(QuoteKey(a))
		if b.Len() > maxExampleBytes {
			break
		}
	}
	s := b.String()
	if len(s) <= maxExampleBytes {
		return s
	}
	cut := maxExampleBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (d *keyDetails) add(key, cmd, client string, write bool) {
	d.adds++
	if d.adds >= pruneEvery*d.max {
		d.adds = 0
		if len(d.m) >= d.max {
			d.prune()
		}
	}
	e := d.m[key]
	if e == nil {
		if len(d.m) >= d.max {
			return
		}
		e = &keyDetail{}
		d.m[strings.Clone(key)] = e
	}
	e.count++
	e.cmds.add(cmd)
	e.clients.add(client)
}

// prune drops the keys with counts at or below the median.
func (d *keyDetails) prune() {
	counts := make([]int64, 0, len(d.m))
	for _, e := range d.m {
		counts = append(counts, e.count)
	}
	slices.Sort(counts)
	median := counts[len(counts)/2]
	for k, e := range d.m {
		if e.count <= median {
			delete(d.m, k)
		}
	}
}

// smallCounter counts up to len(names) distinct names exactly and the
// rest together under "(other)".
type smallCounter struct {
	names  [6]string
	counts [6]int64
	n      int
	other  int64
}

func (c *smallCounter) add(name string) {
	for i := 0; i < c.n; i++ {
		if c.names[i] == name {
			c.counts[i]++
			return
		}
	}
	if c.n < len(c.names) {
		c.names[c.n] = name
		c.counts[c.n] = 1
		c.n++
		return
	}
	c.other++
}

func (c *smallCounter) top() []NameCount {
	out := make([]NameCount, 0, c.n+1)
	for i := 0; i < c.n; i++ {
		out = append(out, NameCount{c.names[i], c.counts[i]})
	}
	slices.SortStableFunc(out, func(a, b NameCount) int {
		switch {
		case a.Count > b.Count:
			return -1
		case a.Count < b.Count:
			return 1
		}
		return 0
	})
	if c.other > 0 {
		out = append(out, NameCount{"(other)", c.other})
	}
	return out
}

// WriteTable implements Report.
func (rep *MonitorReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	writeTitle(w, h, "%s commands sampled on %s over %.1fs; %s key accesses/s (%s reads, %s writes)",
		human(float64(rep.Sampled)), plural(usedNodes(h), "node", "nodes"), rep.SampledSeconds,
		human(rep.Rate), human(rep.ReadRate), human(rep.WriteRate))
	examples := slices.ContainsFunc(rep.Keys, func(k MonitorKey) bool { return k.Example != "" })
	cols := []string{"RANK", "KEY", "RATE/S", "READ/S", "WRITE/S", "SHARE", "COMMANDS", "CLIENTS", "NODE"}
	if examples {
		cols = append(cols, "EXAMPLE")
	}
	tb := newTable(w, cols...)
	for _, k := range rep.Keys {
		cells := []string{strconv.Itoa(k.Rank), shortKey(k.Key), human(k.Rate), human(k.ReadRate), human(k.WriteRate),
			pct(k.Share), countsCell(k.Commands, k.Count, 2), countsCell(k.Clients, k.Count, 2), k.Node}
		if examples {
			cells = append(cells, k.Example)
		}
		tb.row(cells...)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if len(rep.Keys) == 0 {
		fmt.Fprintln(w, "(no key accesses seen)")
	}
	if len(rep.Commands) > 0 {
		fmt.Fprintln(w)
		tb := newTable(w, "COMMAND", "CALLS", "SHARE")
		for i, c := range rep.Commands {
			if i == 10 {
				break
			}
			tb.row(c.Name, strconv.FormatInt(c.Count, 10), pct(float64(c.Count)/float64(rep.Sampled)))
		}
		if err := tb.flush(); err != nil {
			return err
		}
	}
	writeFooter(w, h)
	return nil
}

// countsCell renders the first n counts as "get 90%, set 10%".
func countsCell(cs []NameCount, total int64, n int) string {
	if total == 0 || len(cs) == 0 {
		return "-"
	}
	var parts []string
	for i, c := range cs {
		if i == n {
			break
		}
		parts = append(parts, QuoteKey(c.Name)+" "+pct(float64(c.Count)/float64(total)))
	}
	return strings.Join(parts, ", ")
}
