package inspect

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/redhot/redhot/command"
)

// LoadMeter measures every node's load again and again, from the
// difference between each INFO sample and the one before: the cheap half
// of Balance (no slot counting), for a dashboard that samples every few
// seconds. One Sample costs one INFO per live node. Create it with
// NewLoadMeter; it is safe for concurrent use (samples are serialised) and
// holds no goroutine, so it needs no Close.
type LoadMeter struct {
	t     *Target
	table *command.Table

	// mu serialises Sample and guards prev.
	mu   sync.Mutex
	prev map[*node]*infoSample
}

// LoadSample is the nodes' load between two Samples of a LoadMeter.
type LoadSample struct {
	// At is when the sample was taken (local clock).
	At time.Time `json:"at"`
	// IntervalSeconds is the longest time between this sample and the
	// previous one on any node, by the servers' clocks; 0 on the first
	// sample, whose rates are all 0.
	IntervalSeconds float64 `json:"interval_seconds"`
	// Nodes are the live nodes' loads, in the target's order (primaries
	// with their figures over the primaries' mean, as in Balance).
	Nodes []NodeLoad `json:"nodes"`
	// Imbalances say which primaries are over twice the mean of a figure.
	Imbalances []string `json:"imbalances"`
	// Warnings name the nodes that could not be read this time.
	Warnings []string `json:"warnings"`
}

// NewLoadMeter returns a LoadMeter for t's live nodes. It reads the
// server's command table (COMMAND) to class commands into reads and
// writes, falling back to redhot's built-in table.
func NewLoadMeter(ctx context.Context, t *Target) *LoadMeter {
	m := &LoadMeter{t: t, prev: map[*node]*infoSample{}}
	if nodes := t.live(); len(nodes) > 0 {
		if table, err := command.Load(ctx, nodes[0].client); err == nil {
			m.table = table
		}
	}
	if m.table == nil {
		m.table = command.Builtin()
	}
	return m
}

// Sample reads INFO on every live node and returns each node's load since
// the previous Sample. Nodes that fail are named in Warnings; when every
// node fails, Sample returns the error.
func (m *LoadMeter) Sample(ctx context.Context) (*LoadSample, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	nodes := m.t.live()
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live node to measure")
	}
	var mu sync.Mutex // guards cur
	cur := map[*node]*infoSample{}
	failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		f, err := nodeInfo(ctx, n, "server", "clients", "memory", "stats", "keyspace", "commandstats")
		if err != nil {
			return err
		}
		s := &infoSample{fields: f}
		s.at, _ = strconv.ParseInt(f["server_time_usec"], 10, 64)
		if s.at == 0 {
			s.at = time.Now().UnixMicro()
		}
		s.reads, s.writes = commandCalls(f, m.table)
		mu.Lock()
		cur[n] = s
		mu.Unlock()
		return nil
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(cur) == 0 && len(failures) > 0 {
		return nil, failures[0].err
	}
	out := &LoadSample{At: time.Now(), Nodes: []NodeLoad{}, Imbalances: []string{}, Warnings: []string{}}
	for _, f := range failures {
		out.Warnings = append(out.Warnings, f.err.Error())
	}
	for _, n := range nodes {
		b := cur[n]
		if b == nil {
			continue
		}
		nl := NodeLoad{
			Node: n.addr, Role: n.role, Primary: n.primary,
			Memory:  int64(num(b.fields, "used_memory")),
			Keys:    keyspaceKeys(b.fields),
			Clients: int64(num(b.fields, "connected_clients")),
			Flags:   []string{},
		}
		for _, s := range n.slots {
			nl.Slots += s[1] - s[0] + 1
		}
		// A restarted node's counters start again from zero; its rates
		// wait for the next sample rather than go negative.
		if a := m.prev[n]; a != nil && b.at > a.at && num(b.fields, "total_commands_processed") >= num(a.fields, "total_commands_processed") {
			dt := float64(b.at-a.at) / 1e6
			out.IntervalSeconds = max(out.IntervalSeconds, dt)
			rate := func(field string) float64 {
				return math.Max(0, (num(b.fields, field)-num(a.fields, field))/dt)
			}
			nl.OpsPerSec = rate("total_commands_processed")
			nl.ReadsPerSec = math.Max(0, (b.reads-a.reads)/dt)
			nl.WritesPerSec = math.Max(0, (b.writes-a.writes)/dt)
			nl.NetIn = rate("total_net_input_bytes")
			nl.NetOut = rate("total_net_output_bytes")
		}
		out.Nodes = append(out.Nodes, nl)
	}
	m.prev = cur
	rep := BalanceReport{Nodes: out.Nodes, Imbalances: out.Imbalances}
	rep.compare()
	rep.readShares()
	out.Nodes, out.Imbalances = rep.Nodes, rep.Imbalances
	return out, nil
}
