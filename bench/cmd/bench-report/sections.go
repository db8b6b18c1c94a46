package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

var nan = math.NaN()

func renderDetect(r *report, rows []map[string]any) error {
	b := &r.b
	r.caption("redhot's tracker against exact counts with the same exponential decay (accuracy on stream time, so independent of the machine; ns/op with the keys held in cache as a client that just built them; \"keyspace\" looks each key up in the million-key key space, paying a cache miss; the exact map's figures are a `map[string]uint64` counting the same keys).")
	var cells [][]string
	for _, row := range rows {
		if str(row, "detector") != "redhot" || row["ns_per_op_parallel"] == nil {
			continue
		}
		cells = append(cells, []string{str(row, "workload"), num(row, "keys", "%.0f"), num(row, "ops", "%.0f"),
			num(row, "recall_at_100", "%.2f"), num(row, "precision_at_100", "%.2f"), num(row, "top10_rate_error", "%.5f"),
			num(row, "ns_per_op", "%.1f"), num(row, "ns_per_op_parallel", "%.1f"), num(row, "parallel_speedup", "%.2fx"),
			num(row, "ns_per_op_keyspace", "%.1f"), bytesOf(row, "memory_bytes"),
			num(row, "exact_ns_per_op", "%.1f"), bytesOf(row, "exact_memory_bytes")})
	}
	table(b, []string{"workload", "keys", "accesses", "recall@100", "precision@100", "top-10 rate error", "ns/op", "ns/op, all cores", "speed-up", "ns/op keyspace", "memory", "exact map ns/op", "exact map memory"}, cells)

	r.caption("Plain counts (no decay), side by side with exact counting and published Go top-k libraries, same trace, top 100 (memory: heap held after the whole trace).")
	type peer struct{ ns, mem, err []float64 }
	peers := map[string]*peer{}
	var names, workloads []string
	cells = nil
	for _, row := range rows {
		if str(row, "decay") != "none (plain counts)" {
			continue
		}
		d, w := str(row, "detector"), str(row, "workload")
		if !slices.Contains(names, d) {
			names = append(names, d)
			peers[d] = &peer{}
		}
		if !slices.Contains(workloads, w) {
			workloads = append(workloads, w)
		}
		cells = append(cells, []string{w, d, str(row, "note"), num(row, "recall_at_100", "%.2f"),
			num(row, "top10_rate_error", "%.4f"), num(row, "ns_per_op", "%.1f"), bytesOf(row, "memory_bytes")})
	}
	table(b, []string{"workload", "detector", "configuration", "recall@100", "top-10 count error", "ns/op", "memory"}, cells)
	if len(names) > 0 {
		// One series per workload, one row per detector.
		byW := func(field string) []series {
			var ss []series
			for _, w := range workloads {
				s := series{name: w, values: make([]float64, len(names))}
				for i := range s.values {
					s.values[i] = nan
				}
				for _, row := range rows {
					if str(row, "decay") == "none (plain counts)" && str(row, "workload") == w {
						s.values[slices.Index(names, str(row, "detector"))] = val(row, field)
					}
				}
				ss = append(ss, s)
			}
			return ss
		}
		if err := r.plot("detect-speed.png", "ns per observed key by detector", func(p string) error {
			return dotPlot(p, "Detection: time per observed key (lower is better)", "ns/op", names, byW("ns_per_op"), false)
		}); err != nil {
			return err
		}
		if err := r.plot("detect-memory.png", "memory by detector", func(p string) error {
			return dotPlot(p, "Detection: memory after the trace (log scale)", "bytes", names, byW("memory_bytes"), true)
		}); err != nil {
			return err
		}
		if err := r.plot("detect-accuracy.png", "top-10 count error by detector", func(p string) error {
			return dotPlot(p, "Detection: largest relative error of the true top 10's counts", "relative error", names, byW("top10_rate_error"), false)
		}); err != nil {
			return err
		}
	}
	for _, row := range rows {
		if str(row, "workload") != "step" {
			continue
		}
		fmt.Fprintf(b, "Step change: %s. Time from the step to the key being flagged hot: p50 %s ms, p99 %s ms, max %s ms; missed %s. Measured by %s.\n\n",
			str(row, "note"), num(row, "step_detect_ms_p50", "%.0f"), num(row, "step_detect_ms_p99", "%.0f"),
			num(row, "step_detect_ms_max", "%.0f"), num(row, "step_missed", "%.0f"), r.meta)
	}
	return nil
}

func renderInspect(r *report, rows []map[string]any) error {
	b := &r.b
	type pair struct{ redhot, cli map[string]any }
	bySize := map[float64]*pair{}
	var sizes []float64
	for _, row := range rows {
		if _, ok := row["tool"]; !ok {
			continue
		}
		n := val(row, "keys")
		if bySize[n] == nil {
			bySize[n] = &pair{}
			sizes = append(sizes, n)
		}
		switch str(row, "tool") {
		case "redhot":
			bySize[n].redhot = row
		case "redis-cli":
			bySize[n].cli = row
		}
	}
	slices.Sort(sizes)
	if len(sizes) > 0 {
		r.caption("`redhot hotkeys -n 16` against `redis-cli --hotkeys` on an allkeys-lfu server after the same Zipf (s = 1.0) GETs, as the key space grows: recall of the true 16 most accessed keys (exact counts of the trace) and median wall time of separate processes, start included, runs interleaved.")
		var cells [][]string
		var red, cli []float64
		for _, n := range sizes {
			p := bySize[n]
			rr, cr := p.redhot, p.cli
			if rr == nil || cr == nil {
				return fmt.Errorf("%.0f keys: a tool's line is missing", n)
			}
			cells = append(cells, []string{fmt.Sprintf("%.0f", n), num(rr, "accesses", "%.0f"), num(rr, "runs", "%.0f"),
				num(rr, "recall_at_16", "%.3f"), num(cr, "recall_at_16", "%.3f"),
				num(rr, "seconds", "%.2f s"), num(cr, "seconds", "%.2f s"),
				fmt.Sprintf("%.2f", val(cr, "seconds")/val(rr, "seconds"))})
			red, cli = append(red, val(rr, "seconds")), append(cli, val(cr, "seconds"))
		}
		table(b, []string{"keys", "accesses", "runs", "redhot recall@16", "redis-cli recall@16", "redhot time", "redis-cli time", "redis-cli / redhot time"}, cells)
		if len(sizes) > 1 {
			if err := r.plot("inspect-keyspace.png", "hot key scan time against key space size", func(p string) error {
				return linePlot(p, "Hot key scan time as the key space grows", "keys in the server", "seconds (median)", sizes,
					[]series{{"redhot hotkeys", red}, {"redis-cli --hotkeys", cli}}, true)
			}); err != nil {
				return err
			}
		}
	}
	var cells [][]string
	var none float64
	for _, row := range rows {
		if str(row, "sampler") == "none" {
			none = val(row, "ops_per_sec")
		}
	}
	for _, row := range rows {
		if _, ok := row["sampler"]; ok {
			cells = append(cells, []string{str(row, "sampler"), num(row, "ops_per_sec", "%.0f"), fmt.Sprintf("%.2f", val(row, "ops_per_sec")/none)})
		}
	}
	if len(cells) > 0 {
		r.caption("The server's throughput (commands per second it processed) under a saturating pipelined go-redis load, with no sampler and while `redhot monitor` or `redis-cli monitor` samples it; phases interleaved, each figure the mean of two.")
		table(b, []string{"sampler", "server ops/s", "of none"}, cells)
	}
	return nil
}

func renderOverhead(r *report, rows []map[string]any) error {
	b := &r.b
	var pipelines []float64
	for _, row := range rows {
		if p := val(row, "pipeline"); !slices.Contains(pipelines, p) {
			pipelines = append(pipelines, p)
		}
	}
	var names []string
	var app, srv, cpu []float64
	for _, pl := range pipelines {
		var group []map[string]any
		for _, row := range rows {
			if val(row, "pipeline") == pl {
				group = append(group, row)
			}
		}
		first := group[0]
		shape := fmt.Sprintf("pipelines of %.0f commands", pl)
		if pl == 1 {
			shape = "single commands"
		}
		r.caption(fmt.Sprintf("The same fixed load (%s go-redis workers on one pooled client, %s, 90%% GET / 10%% SET on %s Zipf keys, as fast as replies come) with each detector; %s rounds, each running every detector's phase (%s s) twice in palindromic order; figures are medians over the rounds, and each ratio to no detector is taken within a round (median, then the range over the rounds). Server CPU is `used_cpu_user + used_cpu_sys` per processed command.",
			num(first, "workers", "%.0f"), shape, num(first, "keys", "%.0f"), num(first, "rounds", "%.0f"), num(first, "phase_s", "%.1f")))
		var cells [][]string
		for _, row := range group {
			found := "–"
			if v, ok := row["top_key_found"].(bool); ok {
				found = fmt.Sprint(v)
			}
			cells = append(cells, []string{str(row, "detector"), str(row, "note"),
				num(row, "app_ops_per_sec", "%.0f"), ratioRange(row, "app_ops_ratio", "app_ops_ratio_min", "app_ops_ratio_max"),
				num(row, "server_ops_per_sec", "%.0f"), num(row, "server_ops_ratio", "%.2f"),
				num(row, "server_cpu_us_per_op", "%.2f µs"), ratioRange(row, "server_cpu_per_op_ratio", "server_cpu_per_op_ratio_min", "server_cpu_per_op_ratio_max"), found})
			names = append(names, str(row, "detector")+", "+shape)
			app, srv, cpu = append(app, val(row, "app_ops_ratio")), append(srv, val(row, "server_ops_ratio")), append(cpu, val(row, "server_cpu_per_op_ratio"))
		}
		table(b, []string{"detector", "how", "app ops/s", "of none", "server ops/s", "of none", "server CPU per command", "of none", "hottest key found"}, cells)
	}
	return r.plot("overhead.png", "throughput and server CPU per command relative to no detector", func(p string) error {
		return dotPlot(p, "Detection overhead, relative to no detector (same run)", "ratio to no detector", names,
			[]series{{"app ops/s", app}, {"server ops/s", srv}, {"server CPU per command", cpu}}, false)
	})
}

func renderNearcache(r *report, rows []map[string]any) error {
	b := &r.b
	m := rows[0]
	csc := str(m, "goredis_csc_status")
	r.caption(fmt.Sprintf("A GET of one cached key, by client, on one redis-server (GOMAXPROCS %s); allocations are heap allocations per GET. go-redis's own client-side cache (`Options.ClientSideCacheConfig`, RESP3 CLIENT TRACKING) on this server: **%s** (measured: it counted hits in its `CSCStats`).", num(m, "gomaxprocs", "%.0f"), csc))
	type client struct {
		name, ns, par, allocs string
	}
	clients := []client{
		{"go-redis, no cache (a round trip)", "hit_ns_goredis_plain", "", "hit_allocs_goredis_plain"},
		{"go-redis + redhot (hook hit)", "hit_ns_goredis_redhot", "hit_ns_goredis_redhot_parallel", "hit_allocs_goredis_redhot"},
		{"redhot Middleware.Get", "hit_ns_direct", "hit_ns_direct_parallel", "hit_allocs_direct"},
		{"go-redis client-side cache", "hit_ns_goredis_csc", "hit_ns_goredis_csc_parallel", "hit_allocs_goredis_csc"},
		{"rueidis DoCache", "hit_ns_rueidis_csc", "hit_ns_rueidis_csc_parallel", "hit_allocs_rueidis_csc"},
	}
	var cells [][]string
	var labels []string
	var seq, par []float64
	for _, c := range clients {
		if c.name == "go-redis client-side cache" && csc != "on" {
			continue
		}
		p := "–"
		if c.par != "" {
			p = num(m, c.par, "%.1f")
		}
		cells = append(cells, []string{c.name, num(m, c.ns, "%.1f"), p, num(m, c.allocs, "%.0f")})
		labels = append(labels, c.name)
		seq = append(seq, val(m, c.ns))
		if c.par != "" {
			par = append(par, val(m, c.par))
		} else {
			par = append(par, nan)
		}
	}
	table(b, []string{"client", "ns/op", "ns/op, RunParallel", "allocs/op"}, cells)
	if err := r.plot("nearcache-hit.png", "near-cache hit cost by client", func(p string) error {
		return dotPlot(p, "A cached GET, by client (log scale, lower is better)", "ns/op", labels,
			[]series{{"one goroutine", seq}, {"RunParallel", par}}, true)
	}); err != nil {
		return err
	}

	r.caption(fmt.Sprintf("The same Zipf (s = 1.0) workload, 90%% reads, each cache bounded to 1%% of the keys: reads served locally (hits), the best an oracle caching the hottest 1%% could do, and the server commands spared per operation. redhot caches only keys its tracker flags hot; go-redis's cache caches every key it reads, evicting to its bound."))
	cells = [][]string{
		{"redhot", num(m, "zipf_local_share", "%.3f"), num(m, "zipf_ideal_share", "%.3f"), num(m, "zipf_local_of_ideal", "%.2f"), num(m, "server_cmds_reduction", "%.3f"), num(m, "zipf_cached_key_share", "%.4f")},
	}
	if csc == "on" {
		cells = append(cells, []string{"go-redis client-side cache", num(m, "zipf_goredis_csc_local_share", "%.3f"), num(m, "zipf_ideal_share", "%.3f"),
			fmt.Sprintf("%.2f", val(m, "zipf_goredis_csc_local_share")/val(m, "zipf_ideal_share")),
			num(m, "zipf_goredis_csc_server_cmds_reduction", "%.3f"), num(m, "zipf_goredis_csc_cached_key_share", "%.4f")})
	}
	table(b, []string{"cache", "local share of reads", "oracle", "of oracle", "server commands spared", "keys cached / keys"}, cells)

	r.caption("From another client's write being acknowledged to a GET through the cache returning the new value (the reader spins 200 µs, then parks between reads: later times are upper bounds, late by up to the runtime's timer resolution).")
	cells = [][]string{{"redhot Middleware.Get", num(m, "stale_ms_p50", "%.3f"), num(m, "stale_ms_p99", "%.3f"), num(m, "stale_ms_max", "%.3f")}}
	if csc == "on" {
		cells = append(cells, []string{"go-redis client-side cache", num(m, "stale_goredis_csc_ms_p50", "%.3f"), num(m, "stale_goredis_csc_ms_p99", "%.3f"), num(m, "stale_goredis_csc_ms_max", "%.3f")})
	}
	table(b, []string{"reader", "p50 ms", "p99 ms", "max ms"}, cells)

	b.WriteString("Every field of the run:\n\n")
	b.WriteString("| field | value |\n| --- | --- |\n")
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(b, "| `%s` | %s |\n", k, cell(m[k]))
	}
	return nil
}

func renderSplit(r *report, rows []map[string]any) error {
	b := &r.b
	m := rows[0]
	r.caption(fmt.Sprintf("Balance is the busiest node's commands over the mean of the nodes (1 is even; 3 is everything on one node of three); %s clients, %s s phases; the counter has %s shards and the value %s copies on a 3-primary cluster; replica reads on a primary with 2 replicas.",
		num(m, "clients", "%.0f"), num(m, "phase_s", "%.0f"), num(m, "shards", "%.0f"), num(m, "copies", "%.0f")))
	type scen struct{ name, before, after, opsBefore, opsAfter, shareBefore, shareAfter string }
	scens := []scen{
		{"write-hot counter: INCR → split.Counter", "counter_maxmean_plain", "counter_maxmean_split", "counter_ops_plain", "counter_ops_split", "counter_node_share_plain", "counter_node_share_split"},
		{"read-hot value: GET → split.Value", "read_maxmean_plain", "read_maxmean_copies", "read_ops_plain", "read_ops_copies", "read_node_share_plain", "read_node_share_copies"},
		{"read-hot key: primary → replica.Router", "read_maxmean_replicaset_plain", "read_maxmean_replicas", "read_ops_replicaset_plain", "read_ops_replicas", "read_node_share_replicaset_plain", "read_node_share_replicas"},
	}
	var cells [][]string
	for _, s := range scens {
		cells = append(cells, []string{s.name, num(m, s.before, "%.2f"), num(m, s.after, "%.2f"), num(m, s.opsBefore, "%.0f"), num(m, s.opsAfter, "%.0f")})
	}
	table(b, []string{"hot key", "balance before", "balance after", "ops/s before", "ops/s after"}, cells)
	fmt.Fprintf(b, "Errors: %s; split counter total equal to acknowledged increments: %v.\n\n", num(m, "errors", "%.0f"), m["counter_total_ok"])

	// Per-node shares, when the run recorded them.
	var labels []string
	nodes := [3][]float64{}
	for _, s := range scens {
		for _, phase := range []struct{ tag, field string }{{"before", s.shareBefore}, {"after", s.shareAfter}} {
			sh, ok := m[phase.field].([]any)
			if !ok || len(sh) != 3 {
				continue
			}
			labels = append(labels, strings.SplitN(s.name, ":", 2)[0]+"\n"+phase.tag)
			for i := range 3 {
				v, _ := sh[i].(float64)
				nodes[i] = append(nodes[i], v)
			}
		}
	}
	if len(labels) == 0 {
		return nil
	}
	return r.plot("split-nodes.png", "each node's share of the commands, before and after mitigation", func(p string) error {
		return barPlot(p, "Per-node load before and after mitigation", "share of the commands", labels, []series{
			{"node 1 (cluster: primary 1; replica set: primary)", nodes[0]},
			{"node 2 (primary 2; replica 1)", nodes[1]},
			{"node 3 (primary 3; replica 2)", nodes[2]},
		})
	})
}

// ratioRange formats a median ratio with its range, when there is one.
func ratioRange(m map[string]any, med, lo, hi string) string {
	if _, ok := m[lo].(float64); !ok {
		return num(m, med, "%.2f")
	}
	return fmt.Sprintf("%s (%s–%s)", num(m, med, "%.2f"), num(m, lo, "%.2f"), num(m, hi, "%.2f"))
}

// bytesOf formats a byte count with a binary unit.
func bytesOf(m map[string]any, k string) string {
	v, ok := m[k].(float64)
	if !ok {
		return "–"
	}
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.0f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
