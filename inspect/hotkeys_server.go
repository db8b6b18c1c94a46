package inspect

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ServerHotkeysOptions configure ServerHotkeys.
type ServerHotkeysOptions struct {
	// Duration is how long the server tracks.
	// default: 10 seconds
	Duration time.Duration
	// Top is how many keys to report per metric.
	// default: 20
	Top int
	// Sample is HOTKEYS START's SAMPLE ratio: each key access is tracked
	// with probability 1/Sample.
	// default: 1 (every access)
	Sample int
	// Progress, if set, is told the seconds elapsed.
	Progress Progress
}

// ServerHotkeysReport is the result of ServerHotkeys.
type ServerHotkeysReport struct {
	Header
	// Method is "server".
	Method string `json:"method"`
	// ByCPU are the keys that took the most CPU time (µs), highest first.
	ByCPU []ServerHotKey `json:"by_cpu_time_us"`
	// ByNet are the keys that moved the most network bytes.
	ByNet []ServerHotKey `json:"by_net_bytes"`
}

// ServerHotKey is one key of the server's HOTKEYS GET reply.
type ServerHotKey struct {
	Rank int `json:"rank"`
	KeyRef
	Node  string `json:"node"`
	Value int64  `json:"value"`
}

// ServerHotkeys runs the server's own hot key tracking (HOTKEYS START,
// GET, STOP, RESET; Redis 8.6+) on every primary for opts.Duration and
// reports the keys by CPU time and network bytes. Without the command it
// returns an error of kind ErrUnsupported. It does not take over a
// tracking session someone else started.
func ServerHotkeys(ctx context.Context, t *Target, opts ServerHotkeysOptions) (*ServerHotkeysReport, error) {
	if opts.Duration == 0 {
		opts.Duration = 10 * time.Second
	}
	if opts.Top == 0 {
		opts.Top = 20
	}
	if opts.Sample == 0 {
		opts.Sample = 1
	}
	if opts.Duration < time.Second || opts.Top < 0 || opts.Sample < 0 {
		return nil, newError(ErrBadOptions, "", "--duration must be at least 1s and other options positive")
	}
	if opts.Progress == nil {
		opts.Progress = noProgress{}
	}
	r := t.begin("hotkeys")
	nodes := t.primaries()
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live primary to inspect")
	}
	r.use(nodes...)
	// Is there a HOTKEYS command at all?
	info, err := nodes[0].client.Do(ctx, "command", "info", "hotkeys").Slice()
	if err != nil {
		return nil, classify(nodes[0].addr, "COMMAND INFO", err)
	}
	if len(info) == 0 || info[0] == nil {
		return nil, newError(ErrUnsupported, nodes[0].addr, "this server (%s) has no HOTKEYS command, which needs Redis 8.6 or later", versionName(t.version))
	}
	r.note("cost: HOTKEYS START makes the server account CPU time and network bytes per key (sampling 1 in %d accesses) for %v; it stops by itself after that even if redhot dies, and redhot resets it on exit", opts.Sample, opts.Duration)
	rep := &ServerHotkeysReport{Method: "server", ByCPU: []ServerHotKey{}, ByNet: []ServerHotKey{}}
	secs := int64(max(1, opts.Duration/time.Second))
	started := make([]bool, len(nodes))
	failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		args := []any{"hotkeys", "start", "metrics", 2, "cpu", "net", "count", opts.Top, "duration", secs}
		if opts.Sample > 1 {
			args = append(args, "sample", opts.Sample)
		}
		if err := n.client.Do(ctx, args...).Err(); err != nil {
			if strings.Contains(strings.ToLower(err.Error()), "progress") {
				return newError(ErrRefused, n.addr, "a HOTKEYS tracking session is already running (someone else's?); redhot leaves it alone")
			}
			return classify(n.addr, "HOTKEYS START", err)
		}
		started[indexOf(nodes, n)] = true
		return nil
	})
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		for i, n := range nodes {
			if started[i] {
				n.client.Do(cctx, "hotkeys", "stop")
				n.client.Do(cctx, "hotkeys", "reset")
			}
		}
	}()
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	opts.Progress.Start("server tracking (seconds)", secs)
	wctx, cancel := context.WithTimeout(ctx, opts.Duration+200*time.Millisecond)
	tk := startTicker(wctx, opts.Progress)
	<-wctx.Done()
	cancel()
	tk.Wait()
	opts.Progress.Done()
	gctx, gcancel := context.WithTimeout(context.WithoutCancel(ctx), t.opts.Timeout)
	defer gcancel()
	var mu sync.Mutex
	failures = forEach(gctx, nodes, func(ctx context.Context, n *node) error {
		if !started[indexOf(nodes, n)] {
			return nil
		}
		v, err := n.client.Do(ctx, "hotkeys", "get").Result()
		if err != nil {
			return classify(n.addr, "HOTKEYS GET", err)
		}
		cpu, net := parseHotkeysGet(v, n.addr)
		mu.Lock()
		rep.ByCPU = append(rep.ByCPU, cpu...)
		rep.ByNet = append(rep.ByNet, net...)
		mu.Unlock()
		return nil
	})
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	rep.ByCPU = rankServerKeys(rep.ByCPU, opts.Top)
	rep.ByNet = rankServerKeys(rep.ByNet, opts.Top)
	rep.Header = r.finish(ctx)
	return rep, nil
}

func versionName(v string) string {
	if v == "" {
		return "unknown version"
	}
	if strings.HasPrefix(v, "valkey") {
		return v
	}
	return "redis " + v
}

// parseHotkeysGet reads the by-cpu-time-us and by-net-bytes lists of a
// HOTKEYS GET reply, a flat list of name, value (RESP2) or a map (RESP3).
func parseHotkeysGet(v any, node string) (cpu, net []ServerHotKey) {
	fields := pairs(v)
	for i := 0; i+1 < len(fields); i += 2 {
		name, _ := fields[i].(string)
		var dst *[]ServerHotKey
		switch name {
		case "by-cpu-time-us":
			dst = &cpu
		case "by-net-bytes":
			dst = &net
		default:
			continue
		}
		kv := pairs(fields[i+1])
		for j := 0; j+1 < len(kv); j += 2 {
			k, ok := kv[j].(string)
			if !ok {
				continue
			}
			n, _ := kv[j+1].(int64)
			*dst = append(*dst, ServerHotKey{KeyRef: KeyRef{Key: k}, Node: node, Value: n})
		}
	}
	return cpu, net
}

// pairs flattens a RESP2 list or a RESP3 map into name, value, ...
func pairs(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case map[any]any:
		out := make([]any, 0, 2*len(x))
		for k, val := range x {
			out = append(out, k, val)
		}
		return out
	case map[string]any:
		out := make([]any, 0, 2*len(x))
		for k, val := range x {
			out = append(out, k, val)
		}
		return out
	}
	return nil
}

func rankServerKeys(ks []ServerHotKey, top int) []ServerHotKey {
	slices.SortFunc(ks, func(a, b ServerHotKey) int {
		if a.Value != b.Value {
			if a.Value > b.Value {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(ks) > top {
		ks = ks[:top]
	}
	for i := range ks {
		ks[i].Rank = i + 1
		ks[i].KeyRef = keyRef(ks[i].Key)
	}
	return ks
}

// WriteTable implements Report.
func (rep *ServerHotkeysReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	writeTitle(w, h, "server-side HOTKEYS tracking on %s for %.1fs", plural(usedNodes(h), "node", "nodes"), h.Seconds)
	for _, part := range []struct {
		title, unit string
		keys        []ServerHotKey
	}{{"BY CPU TIME", "µs", rep.ByCPU}, {"BY NETWORK BYTES", "bytes", rep.ByNet}} {
		fmt.Fprintln(w, part.title)
		tb := newTable(w, "RANK", "KEY", strings.ToUpper(part.unit), "NODE")
		for _, k := range part.keys {
			tb.row(strconv.Itoa(k.Rank), shortKey(k.Key), strconv.FormatInt(k.Value, 10), k.Node)
		}
		if err := tb.flush(); err != nil {
			return err
		}
	}
	writeFooter(w, h)
	return nil
}
