package inspect

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redhot/redhot/command"
)

// BalanceOptions configure Balance.
type BalanceOptions struct {
	// Interval is the time between the two INFO samples whose difference
	// gives each node's rates.
	// default: 5 seconds
	Interval time.Duration

	// SlotSample is how many of each primary's slots CLUSTER
	// COUNTKEYSINSLOT reads (evenly spread over its slots); -1 reads all.
	// default: 1024
	SlotSample int

	// MaxOpsPerSec caps the COUNTKEYSINSLOT commands per second per node.
	// default: 0 (no cap)
	MaxOpsPerSec float64

	// Top is how many of the fullest slots to list.
	// default: 10
	Top int

	// Commands classifies commands into reads and writes.
	// default: the server's (command.Load), else command.Builtin
	Commands *command.Table

	// Progress, if set, is told the seconds of the interval elapsed.
	Progress Progress
}

// BalanceReport is the result of Balance.
type BalanceReport struct {
	Header
	// IntervalSeconds is the measured time between the two samples.
	IntervalSeconds float64 `json:"interval_seconds"`
	// Nodes are the nodes' loads, primaries first.
	Nodes []NodeLoad `json:"nodes"`
	// Imbalances say which primaries are over twice the mean of a figure.
	Imbalances []string `json:"imbalances"`
	// Slots is the spread of keys over slots (cluster only).
	Slots *SlotSpread `json:"slots"`
	// SlotStatsAvailable reports whether the server has CLUSTER
	// SLOT-STATS; SlotStats are its busiest slots by CPU when it does.
	SlotStatsAvailable bool       `json:"slot_stats_available"`
	SlotStats          []SlotStat `json:"slot_stats"`
}

// NodeLoad is one node's load over the interval.
type NodeLoad struct {
	Node    string `json:"node"`
	Role    Role   `json:"role"`
	Primary string `json:"primary,omitempty"`
	// OpsPerSec is commands processed per second (INFO
	// total_commands_processed), and ReadsPerSec and WritesPerSec the
	// read-only and write commands among them (INFO commandstats).
	OpsPerSec    float64 `json:"ops_per_sec"`
	ReadsPerSec  float64 `json:"reads_per_sec"`
	WritesPerSec float64 `json:"writes_per_sec"`
	// NetIn and NetOut are bytes per second.
	NetIn  float64 `json:"net_in_bytes_per_sec"`
	NetOut float64 `json:"net_out_bytes_per_sec"`
	// Memory is used_memory, Keys the keys of all databases, Clients
	// connected_clients, at the end of the interval.
	Memory  int64 `json:"used_memory"`
	Keys    int64 `json:"keys"`
	Clients int64 `json:"clients"`
	// Slots is the number of slots the node serves (cluster primaries).
	Slots int `json:"slots"`
	// Ratios are the node's figures over the mean of all primaries
	// (primaries only): ops, memory, keys, clients, net_in, net_out.
	Ratios map[string]float64 `json:"ratios,omitempty"`
	// Flags name the figures over twice the primaries' mean.
	Flags []string `json:"flags"`
	// ReadShare is the node's part of the reads its replication group
	// (a primary and its replicas) served; null without replicas.
	ReadShare *float64 `json:"read_share"`
}

// SlotSpread is how keys spread over slots, from CLUSTER COUNTKEYSINSLOT.
type SlotSpread struct {
	// Sampled is the number of slots read.
	Sampled int `json:"slots_sampled"`
	// Min, Max, Mean and StdDev are keys per sampled slot.
	Min    int64   `json:"min"`
	Max    int64   `json:"max"`
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"stddev"`
	// Nodes are per-primary figures.
	Nodes []NodeSlots `json:"nodes"`
	// Top are the fullest sampled slots.
	Top []SlotKeys `json:"top"`
}

// NodeSlots is one primary's slot figures.
type NodeSlots struct {
	Node    string  `json:"node"`
	Slots   int     `json:"slots"`
	Sampled int     `json:"slots_sampled"`
	Mean    float64 `json:"mean_keys_per_slot"`
	Max     int64   `json:"max_keys_per_slot"`
	// EstKeys is Mean × Slots.
	EstKeys float64 `json:"keys_estimated"`
}

// SlotKeys is a slot with its key count.
type SlotKeys struct {
	Slot int    `json:"slot"`
	Keys int64  `json:"keys"`
	Node string `json:"node"`
}

// SlotStat is one slot's CLUSTER SLOT-STATS figures.
type SlotStat struct {
	Slot   int              `json:"slot"`
	Node   string           `json:"node"`
	Fields map[string]int64 `json:"fields"`
}

// infoSample is one node's INFO at one moment.
type infoSample struct {
	at     int64 // server_time_usec
	fields map[string]string
	reads  float64 // calls of read-only commands so far
	writes float64
}

// Balance measures every node's load from two INFO samples Interval apart:
// ops/s, reads and writes per second, network in and out, plus memory,
// keys and clients; compares each primary with the primaries' mean and
// flags those over twice; gives each replica's share of its group's reads;
// and in a cluster samples keys per slot with CLUSTER COUNTKEYSINSLOT and
// reads CLUSTER SLOT-STATS where the server has it (Redis 8.2+, Valkey
// 8.0+).
func Balance(ctx context.Context, t *Target, opts BalanceOptions) (*BalanceReport, error) {
	if opts.Interval == 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.SlotSample == 0 {
		opts.SlotSample = 1024
	}
	if opts.Top == 0 {
		opts.Top = 10
	}
	if opts.Interval < 0 || opts.SlotSample < -1 || opts.Top < 0 || opts.MaxOpsPerSec < 0 {
		return nil, newError(ErrBadOptions, "", "balance options out of range")
	}
	if opts.Progress == nil {
		opts.Progress = noProgress{}
	}
	r := t.begin("balance")
	r.includeDownReplicas()
	nodes := t.live()
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live node to inspect")
	}
	r.use(nodes...)
	table := opts.Commands
	if table == nil {
		var err error
		if table, err = command.Load(ctx, nodes[0].client); err != nil {
			table = command.Builtin()
		}
	}
	if t.mode == Cluster {
		r.note("cost: read-only; two INFO per node %v apart, then CLUSTER COUNTKEYSINSLOT (O(1)) on sampled slots%s", opts.Interval, throttleNote(ScanOptions{MaxOpsPerSec: opts.MaxOpsPerSec}))
	} else {
		r.note("cost: read-only; two INFO per node %v apart", opts.Interval)
	}

	sample := func(ctx context.Context) (map[*node]*infoSample, []nodeFailure) {
		var mu sync.Mutex
		out := map[*node]*infoSample{}
		failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
			if _, bad := r.failed[n]; bad {
				return nil
			}
			f, err := nodeInfo(ctx, n, "server", "clients", "memory", "stats", "keyspace", "commandstats")
			if err != nil {
				return err
			}
			s := &infoSample{fields: f}
			s.at, _ = strconv.ParseInt(f["server_time_usec"], 10, 64)
			if s.at == 0 {
				s.at = time.Now().UnixMicro()
			}
			s.reads, s.writes = commandCalls(f, table)
			mu.Lock()
			out[n] = s
			mu.Unlock()
			return nil
		})
		return out, failures
	}
	first, failures := sample(ctx)
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	opts.Progress.Start("measuring (seconds)", int64(opts.Interval/time.Second))
	wctx, cancel := context.WithTimeout(ctx, opts.Interval)
	tk := startTicker(wctx, opts.Progress)
	<-wctx.Done()
	cancel()
	tk.Wait()
	opts.Progress.Done()
	// Take the second sample even after Ctrl-C, so a cut-short interval
	// still gives rates.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), t.opts.Timeout)
	second, failures := sample(sctx)
	scancel()
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	rep := &BalanceReport{Nodes: []NodeLoad{}, Imbalances: []string{}, SlotStats: []SlotStat{}}
	var interval float64
	for _, n := range nodes {
		a, b := first[n], second[n]
		if a == nil || b == nil {
			continue
		}
		dt := float64(b.at-a.at) / 1e6
		if dt <= 0 {
			continue
		}
		interval = max(interval, dt)
		rate := func(field string) float64 {
			return math.Max(0, (num(b.fields, field)-num(a.fields, field))/dt)
		}
		nl := NodeLoad{
			Node: n.addr, Role: n.role, Primary: n.primary,
			OpsPerSec:    rate("total_commands_processed"),
			ReadsPerSec:  math.Max(0, (b.reads-a.reads)/dt),
			WritesPerSec: math.Max(0, (b.writes-a.writes)/dt),
			NetIn:        rate("total_net_input_bytes"),
			NetOut:       rate("total_net_output_bytes"),
			Memory:       int64(num(b.fields, "used_memory")),
			Keys:         keyspaceKeys(b.fields),
			Clients:      int64(num(b.fields, "connected_clients")),
			Flags:        []string{},
		}
		for _, s := range n.slots {
			nl.Slots += s[1] - s[0] + 1
		}
		rep.Nodes = append(rep.Nodes, nl)
	}
	rep.IntervalSeconds = interval
	rep.compare()
	rep.readShares()
	if t.mode == Cluster && ctx.Err() == nil {
		if err := rep.slotSpread(ctx, r, t, opts); err != nil {
			r.warn("slot spread: %v", err)
		}
		rep.slotStats(ctx, r, t, opts.Top)
	} else if t.mode == Standalone {
		r.quietNote("standalone server: no slots to compare")
	}
	rep.Header = r.finish(ctx)
	return rep, nil
}

func num(f map[string]string, k string) float64 {
	v, _ := strconv.ParseFloat(f[k], 64)
	return v
}

// keyspaceKeys sums keys=N over the db lines of INFO keyspace.
func keyspaceKeys(f map[string]string) int64 {
	var n int64
	for k, v := range f {
		if !strings.HasPrefix(k, "db") {
			continue
		}
		if _, err := strconv.Atoi(k[2:]); err != nil {
			continue
		}
		x, _ := strconv.ParseInt(parseInfoFields(v)["keys"], 10, 64)
		n += x
	}
	return n
}

// commandCalls sums the calls of read-only and of write commands in INFO
// commandstats.
func commandCalls(f map[string]string, table *command.Table) (reads, writes float64) {
	for k, v := range f {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		calls, _ := strconv.ParseFloat(parseInfoFields(v)["calls"], 64)
		switch table.Class(name) {
		case command.ClassRead:
			reads += calls
		case command.ClassWrite:
			writes += calls
		}
	}
	return reads, writes
}

// compare sets the primaries' ratios to their mean and the flags.
func (rep *BalanceReport) compare() {
	figures := []struct {
		name string
		get  func(*NodeLoad) float64
	}{
		{"ops", func(n *NodeLoad) float64 { return n.OpsPerSec }},
		{"memory", func(n *NodeLoad) float64 { return float64(n.Memory) }},
		{"keys", func(n *NodeLoad) float64 { return float64(n.Keys) }},
		{"clients", func(n *NodeLoad) float64 { return float64(n.Clients) }},
		{"net_in", func(n *NodeLoad) float64 { return n.NetIn }},
		{"net_out", func(n *NodeLoad) float64 { return n.NetOut }},
	}
	var primaries []*NodeLoad
	for i := range rep.Nodes {
		if rep.Nodes[i].Role == Primary {
			primaries = append(primaries, &rep.Nodes[i])
		}
	}
	if len(primaries) < 2 {
		return
	}
	for _, f := range figures {
		var sum float64
		for _, n := range primaries {
			sum += f.get(n)
		}
		mean := sum / float64(len(primaries))
		for _, n := range primaries {
			if n.Ratios == nil {
				n.Ratios = map[string]float64{}
			}
			if mean <= 0 {
				n.Ratios[f.name] = 1
				continue
			}
			ratio := f.get(n) / mean
			n.Ratios[f.name] = ratio
			if ratio > 2 {
				n.Flags = append(n.Flags, f.name)
				rep.Imbalances = append(rep.Imbalances, fmt.Sprintf("%s has %.1fx the primaries' mean %s", n.Node, ratio, f.name))
			}
		}
	}
}

// readShares sets each node's share of its replication group's reads.
func (rep *BalanceReport) readShares() {
	groups := map[string][]*NodeLoad{} // primary address → members
	for i := range rep.Nodes {
		n := &rep.Nodes[i]
		p := n.Node
		if n.Role == Replica {
			p = n.Primary
		}
		groups[p] = append(groups[p], n)
	}
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		var total float64
		for _, n := range members {
			total += n.ReadsPerSec
		}
		for _, n := range members {
			s := 0.0
			if total > 0 {
				s = n.ReadsPerSec / total
			}
			n.ReadShare = &s
		}
	}
}

// slotSpread samples CLUSTER COUNTKEYSINSLOT on each primary's slots.
func (rep *BalanceReport) slotSpread(ctx context.Context, r *run, t *Target, opts BalanceOptions) error {
	var (
		mu     sync.Mutex // guards spread and all
		all    []SlotKeys
		spread = &SlotSpread{Nodes: []NodeSlots{}, Top: []SlotKeys{}}
	)
	primaries := t.primaries()
	failures := forEach(ctx, primaries, func(ctx context.Context, n *node) error {
		var owned []int
		for _, s := range n.slots {
			for x := s[0]; x <= s[1]; x++ {
				owned = append(owned, x)
			}
		}
		picked := owned
		if opts.SlotSample > 0 && len(owned) > opts.SlotSample {
			picked = make([]int, opts.SlotSample)
			for i := range picked {
				picked[i] = owned[i*len(owned)/opts.SlotSample]
			}
		}
		lim := newLimiter(opts.MaxOpsPerSec)
		ns := NodeSlots{Node: n.addr, Slots: len(owned)}
		var sum float64
		for start := 0; start < len(picked); start += 1000 {
			batch := picked[start:min(start+1000, len(picked))]
			if err := lim.wait(ctx, len(batch)); err != nil {
				return nil
			}
			args := make([][]any, len(batch))
			for i, s := range batch {
				args[i] = []any{"cluster", "countkeysinslot", s}
			}
			cmds, err := pipeline(ctx, n, args)
			if err != nil {
				return err
			}
			for i, c := range cmds {
				v, err := c.Int64()
				if err != nil {
					return classify(n.addr, "CLUSTER COUNTKEYSINSLOT", err)
				}
				ns.Sampled++
				sum += float64(v)
				ns.Max = max(ns.Max, v)
				mu.Lock()
				all = append(all, SlotKeys{Slot: batch[i], Keys: v, Node: n.addr})
				mu.Unlock()
			}
		}
		if ns.Sampled > 0 {
			ns.Mean = sum / float64(ns.Sampled)
			ns.EstKeys = ns.Mean * float64(ns.Slots)
		}
		mu.Lock()
		spread.Nodes = append(spread.Nodes, ns)
		mu.Unlock()
		return nil
	})
	for _, f := range failures {
		r.warn("%v; its slots are left out of the spread", f.err)
		r.h.Partial = true
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(spread.Nodes, func(a, b NodeSlots) int { return strings.Compare(a.Node, b.Node) })
	spread.Sampled = len(all)
	spread.Min = math.MaxInt64
	var sum, sq float64
	for _, s := range all {
		spread.Min = min(spread.Min, s.Keys)
		spread.Max = max(spread.Max, s.Keys)
		sum += float64(s.Keys)
	}
	spread.Mean = sum / float64(len(all))
	for _, s := range all {
		d := float64(s.Keys) - spread.Mean
		sq += d * d
	}
	spread.StdDev = math.Sqrt(sq / float64(len(all)))
	slices.SortFunc(all, func(a, b SlotKeys) int {
		if a.Keys != b.Keys {
			if a.Keys > b.Keys {
				return -1
			}
			return 1
		}
		return a.Slot - b.Slot
	})
	spread.Top = all[:min(opts.Top, len(all))]
	rep.Slots = spread
	// A slot stands out when it holds over twice the mean and more than
	// chance explains: keys spread by hash make per-slot counts roughly
	// Poisson, so a few standard deviations above the mean is noise.
	if m := spread.Mean; m > 0 && float64(spread.Max) > max(2*m, m+5*math.Sqrt(m)) {
		rep.Imbalances = append(rep.Imbalances, fmt.Sprintf("slot %d on %s holds %d keys, %.1fx the mean of %.1f per slot (a hash tag shared by many keys?)",
			spread.Top[0].Slot, spread.Top[0].Node, spread.Top[0].Keys, float64(spread.Max)/m, m))
	}
	// Keys the sampled slots do not account for sit in slots that were not
	// sampled: a few large slots hide there.
	for _, ns := range spread.Nodes {
		n := rep.node(ns.Node)
		if n == nil || ns.Sampled >= ns.Slots {
			continue
		}
		extra := float64(n.Keys) - ns.EstKeys
		if extra > max(0.1*ns.EstKeys, 5*math.Sqrt(ns.EstKeys)+5*math.Sqrt(float64(ns.Slots))) {
			rep.Imbalances = append(rep.Imbalances, fmt.Sprintf("%s holds %d keys but its sampled slots account for about %.0f: some %.0f keys sit in slots that were not sampled (a hash tag shared by many keys?); rerun with --slot-sample -1 to find them",
				ns.Node, n.Keys, ns.EstKeys, extra))
		}
	}
	return nil
}

// node returns the load of the node at addr, or nil.
func (rep *BalanceReport) node(addr string) *NodeLoad {
	for i := range rep.Nodes {
		if rep.Nodes[i].Node == addr {
			return &rep.Nodes[i]
		}
	}
	return nil
}

// slotStats reads CLUSTER SLOT-STATS, where the server has it.
func (rep *BalanceReport) slotStats(ctx context.Context, r *run, t *Target, top int) {
	primaries := t.primaries()
	probe := primaries[0].client.Do(ctx, "cluster", "slot-stats", "orderby", "key-count", "limit", 1)
	if err := probe.Err(); err != nil {
		if isRedisError(err) && !isNoPerm(err) {
			r.quietNote("CLUSTER SLOT-STATS is not available on this server (%s; it needs Redis 8.2+ or Valkey 8.0+), so per-slot CPU and network use are not shown", t.version)
			return
		}
		r.warn("CLUSTER SLOT-STATS: %v", classify(primaries[0].addr, "CLUSTER SLOT-STATS", err))
		return
	}
	rep.SlotStatsAvailable = true
	var mu sync.Mutex
	forEach(ctx, primaries, func(ctx context.Context, n *node) error {
		v, err := n.client.Do(ctx, "cluster", "slot-stats", "orderby", "cpu-usec", "limit", top).Result()
		if err != nil {
			// cpu-usec needs cluster-slot-stats-enabled; fall back to keys.
			v, err = n.client.Do(ctx, "cluster", "slot-stats", "orderby", "key-count", "limit", top).Result()
		}
		if err != nil {
			r.warn("%v", classify(n.addr, "CLUSTER SLOT-STATS", err))
			return nil
		}
		stats := parseSlotStats(v, n.addr)
		mu.Lock()
		rep.SlotStats = append(rep.SlotStats, stats...)
		mu.Unlock()
		return nil
	})
	slices.SortFunc(rep.SlotStats, func(a, b SlotStat) int {
		if d := b.Fields["cpu-usec"] - a.Fields["cpu-usec"]; d != 0 {
			return int(d / max(1, abs(d)))
		}
		if d := b.Fields["key-count"] - a.Fields["key-count"]; d != 0 {
			return int(d / max(1, abs(d)))
		}
		return a.Slot - b.Slot
	})
	if len(rep.SlotStats) > top {
		rep.SlotStats = rep.SlotStats[:top]
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// parseSlotStats reads a CLUSTER SLOT-STATS reply: a list of [slot,
// fields], fields being a flat list of name, value or (RESP3) a map.
func parseSlotStats(v any, node string) []SlotStat {
	rows, _ := v.([]any)
	var out []SlotStat
	for _, row := range rows {
		pair, ok := row.([]any)
		if !ok || len(pair) != 2 {
			continue
		}
		slot, ok := pair[0].(int64)
		if !ok {
			continue
		}
		s := SlotStat{Slot: int(slot), Node: node, Fields: map[string]int64{}}
		switch f := pair[1].(type) {
		case []any:
			for i := 0; i+1 < len(f); i += 2 {
				k, _ := f[i].(string)
				n, _ := f[i+1].(int64)
				s.Fields[k] = n
			}
		case map[any]any:
			for k, x := range f {
				ks, _ := k.(string)
				n, _ := x.(int64)
				s.Fields[ks] = n
			}
		}
		out = append(out, s)
	}
	return out
}

// WriteTable implements Report.
func (rep *BalanceReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	writeTitle(w, h, "%s measured over %.1fs (INFO deltas)", plural(len(rep.Nodes), "node", "nodes"), rep.IntervalSeconds)
	cluster := h.Target.Mode == Cluster
	compared := false
	for _, n := range rep.Nodes {
		compared = compared || len(n.Ratios) > 0
	}
	head := []string{"NODE", "ROLE", "OPS/S", "READS/S", "WRITES/S", "READ SHARE", "NET IN/S", "NET OUT/S", "MEMORY", "KEYS", "CLIENTS"}
	if cluster {
		head = append(head, "SLOTS")
	}
	if compared {
		head = append(head, "OPS×MEAN", "FLAGS")
	}
	tb := newTable(w, head...)
	for _, n := range rep.Nodes {
		share := "-"
		if n.ReadShare != nil {
			share = pct(*n.ReadShare)
		}
		role := string(n.Role)
		if n.Role == Replica {
			role = "replica of " + n.Primary
		}
		row := []string{n.Node, role, human(n.OpsPerSec), human(n.ReadsPerSec), human(n.WritesPerSec), share,
			bytesHuman(n.NetIn), bytesHuman(n.NetOut), bytesHuman(float64(n.Memory)), human(float64(n.Keys)),
			strconv.FormatInt(n.Clients, 10)}
		if cluster {
			row = append(row, strconv.Itoa(n.Slots))
		}
		if compared {
			ratio, flags := "-", "-"
			if r, ok := n.Ratios["ops"]; ok {
				ratio = strconv.FormatFloat(r, 'f', 2, 64)
			}
			if len(n.Flags) > 0 {
				flags = "HOT: " + strings.Join(n.Flags, ",")
			}
			row = append(row, ratio, flags)
		}
		tb.row(row...)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if s := rep.Slots; s != nil {
		fmt.Fprintf(w, "\nKEYS PER SLOT: %d slots sampled, min %d, max %d, mean %.1f, stddev %.1f\n", s.Sampled, s.Min, s.Max, s.Mean, s.StdDev)
		tb := newTable(w, "NODE", "SLOTS", "SAMPLED", "MEAN", "MAX", "EST. KEYS")
		for _, n := range s.Nodes {
			tb.row(n.Node, strconv.Itoa(n.Slots), strconv.Itoa(n.Sampled), strconv.FormatFloat(n.Mean, 'f', 1, 64),
				strconv.FormatInt(n.Max, 10), human(n.EstKeys))
		}
		if err := tb.flush(); err != nil {
			return err
		}
		var top []string
		for _, sk := range s.Top {
			top = append(top, fmt.Sprintf("%d (%d keys)", sk.Slot, sk.Keys))
		}
		fmt.Fprintf(w, "fullest slots: %s\n", strings.Join(top, ", "))
	}
	if rep.SlotStatsAvailable && len(rep.SlotStats) > 0 {
		fmt.Fprintln(w, "\nCLUSTER SLOT-STATS")
		tb := newTable(w, "SLOT", "NODE", "KEYS", "CPU µs", "NET IN", "NET OUT")
		for _, s := range rep.SlotStats {
			tb.row(strconv.Itoa(s.Slot), s.Node, strconv.FormatInt(s.Fields["key-count"], 10), strconv.FormatInt(s.Fields["cpu-usec"], 10),
				bytesHuman(float64(s.Fields["network-bytes-in"])), bytesHuman(float64(s.Fields["network-bytes-out"])))
		}
		if err := tb.flush(); err != nil {
			return err
		}
	}
	if len(rep.Imbalances) > 0 {
		fmt.Fprintln(w)
		for _, s := range rep.Imbalances {
			fmt.Fprintf(w, "imbalance: %s\n", s)
		}
	} else if len(rep.Nodes) > 1 {
		fmt.Fprintln(w, "\nno primary is over twice the mean of any figure")
	}
	for _, s := range h.Notes {
		if strings.HasPrefix(s, "CLUSTER SLOT-STATS") {
			fmt.Fprintf(w, "note: %s\n", s)
		}
	}
	writeFooter(w, h)
	return nil
}
