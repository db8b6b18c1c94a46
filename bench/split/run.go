// Package split measures how evenly one hot key's load spreads over the
// nodes of a deployment, without and with redhot's split and replica
// packages. It backs `make bench-split`.
//
// On a throwaway 3-primary Redis Cluster it runs, for the same wall time
// each and with the same number of concurrent clients:
//
//   - a write-hot counter: INCR on one key, then split.Counter.Incr over
//     Shards shard keys;
//   - a read-hot value: GET of one key, then split.Value.Get over Copies
//     copies;
//
// and on a throwaway primary with 2 replicas, the same read-hot GET,
// plainly (everything on the primary) and through a replica.Router that
// knows the key is hot.
//
// Load is what each node executed, from INFO commandstats deltas (every
// command but INFO, CLUSTER, PING, HELLO, CLIENT, COMMAND and READONLY,
// which the bench and the clients' housekeeping send), and balance is the
// busiest node's load divided by the mean over the nodes: 1 is perfect,
// 3 is everything on one node of three.
package split

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/replica"
	"github.com/redhot/redhot/split"
)

// Config sizes a run.
type Config struct {
	// Clients is the number of concurrent goroutines issuing commands.
	Clients int
	// Phase is how long each measured phase runs.
	Phase time.Duration
	// Shards is the counter's shard count.
	Shards int
	// Copies is the value's copy count.
	Copies int
}

// Full is the configuration of `make bench-split`.
var Full = Config{Clients: 16, Phase: 3 * time.Second, Shards: 12, Copies: 12}

// Quick is a small configuration for tests and a first look.
var Quick = Config{Clients: 16, Phase: 400 * time.Millisecond, Shards: 12, Copies: 12}

// Result is the report: one JSON object.
type Result struct {
	// CounterMaxMeanPlain and CounterMaxMeanSplit are the busiest
	// primary's commands over the mean of the 3 primaries, for INCR on one
	// key and for split.Counter.
	CounterMaxMeanPlain float64 `json:"counter_maxmean_plain"`
	CounterMaxMeanSplit float64 `json:"counter_maxmean_split"`
	// CounterOpsPlain and CounterOpsSplit are acknowledged increments per
	// second.
	CounterOpsPlain float64 `json:"counter_ops_plain"`
	CounterOpsSplit float64 `json:"counter_ops_split"`
	// CounterTotalOK says the split counter's Total equalled the
	// acknowledged increments.
	CounterTotalOK bool `json:"counter_total_ok"`

	// ReadMaxMeanPlain and ReadMaxMeanCopies are the same balance for GET
	// of one key and for split.Value.Get, on the 3 primaries.
	ReadMaxMeanPlain  float64 `json:"read_maxmean_plain"`
	ReadMaxMeanCopies float64 `json:"read_maxmean_copies"`
	ReadOpsPlain      float64 `json:"read_ops_plain"`
	ReadOpsCopies     float64 `json:"read_ops_copies"`

	// ReadMaxMeanReplicas is the balance of GET of one hot key through a
	// replica.Router over the 3 nodes of a primary with 2 replicas; hot
	// reads go to the replicas only, so 1.5 is the best it can be (the
	// primary keeps the writes and the other keys).
	// ReadMaxMeanReplicasOnly is the same over the 2 replicas, and
	// ReadMaxMeanReplicaSetPlain the balance over the 3 nodes with every
	// read on the primary, as without the Router.
	ReadMaxMeanReplicas        float64 `json:"read_maxmean_replicas"`
	ReadMaxMeanReplicasOnly    float64 `json:"read_maxmean_replicas_only"`
	ReadMaxMeanReplicaSetPlain float64 `json:"read_maxmean_replicaset_plain"`
	ReadPrimaryShareReplicas   float64 `json:"read_primary_share_replicas"`
	ReadOpsReplicaSetPlain     float64 `json:"read_ops_replicaset_plain"`
	ReadOpsReplicas            float64 `json:"read_ops_replicas"`

	// Each node's share of the commands the nodes executed in each
	// phase (primaries in cluster order; for the replica set the primary
	// first, then its replicas), for the per-node load plot.
	CounterNodeSharePlain        []float64 `json:"counter_node_share_plain"`
	CounterNodeShareSplit        []float64 `json:"counter_node_share_split"`
	ReadNodeSharePlain           []float64 `json:"read_node_share_plain"`
	ReadNodeShareCopies          []float64 `json:"read_node_share_copies"`
	ReadNodeShareReplicaSetPlain []float64 `json:"read_node_share_replicaset_plain"`
	ReadNodeShareReplicas        []float64 `json:"read_node_share_replicas"`

	// Errors counts failed commands over all phases.
	Errors int64 `json:"errors"`

	// The configuration.
	Primaries int     `json:"primaries"`
	Replicas  int     `json:"replicas"`
	Clients   int     `json:"clients"`
	Shards    int     `json:"shards"`
	Copies    int     `json:"copies"`
	PhaseSec  float64 `json:"phase_s"`
}

// Run starts a 3-primary cluster and a primary with 2 replicas, measures
// every phase and writes one JSON object to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	if cfg.Clients < 1 || cfg.Phase <= 0 || cfg.Shards < 1 || cfg.Copies < 1 {
		return fmt.Errorf("bench-split: bad config %+v", cfg)
	}
	res := Result{Primaries: 3, Replicas: 2, Clients: cfg.Clients, Shards: cfg.Shards, Copies: cfg.Copies, PhaseSec: cfg.Phase.Seconds()}
	if err := runCluster(ctx, cfg, &res); err != nil {
		return err
	}
	if err := runReplicas(ctx, cfg, &res); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(res)
}

// runCluster measures the counter and the read-hot value on a cluster.
func runCluster(ctx context.Context, cfg Config, res *Result) error {
	c, err := redistest.StartCluster(ctx, redistest.ClusterOptions{Primaries: 3})
	if err != nil {
		return err
	}
	defer c.Close()
	rdb := c.Client(func(o *redis.ClusterOptions) { o.PoolSize = cfg.Clients + 4 })
	s, err := split.New(rdb, split.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	nodes := c.Primaries()
	var errs atomic.Int64
	count := func(err error) bool {
		if err != nil && !errors.Is(err, redis.Nil) && ctx.Err() == nil {
			errs.Add(1)
			return false
		}
		return err == nil || errors.Is(err, redis.Nil)
	}

	// A write-hot counter.
	load, ops, err := measure(ctx, cfg, nodes, func(ctx context.Context) bool {
		return count(rdb.Incr(ctx, "bench:counter").Err())
	})
	if err != nil {
		return err
	}
	res.CounterMaxMeanPlain, res.CounterOpsPlain, res.CounterNodeSharePlain = maxMean(load), ops, shares(load)
	ctr, err := s.Counter("bench:counter:split", split.CounterOptions{Shards: cfg.Shards})
	if err != nil {
		return err
	}
	var acked atomic.Int64
	load, ops, err = measure(ctx, cfg, nodes, func(ctx context.Context) bool {
		ok := count(ctr.Incr(ctx))
		if ok {
			acked.Add(1)
		}
		return ok
	})
	if err != nil {
		return err
	}
	res.CounterMaxMeanSplit, res.CounterOpsSplit, res.CounterNodeShareSplit = maxMean(load), ops, shares(load)
	total, err := ctr.Total(ctx)
	res.CounterTotalOK = err == nil && total == acked.Load()

	// A read-hot value.
	if err := rdb.Set(ctx, "bench:value", "v", 0).Err(); err != nil {
		return err
	}
	load, ops, err = measure(ctx, cfg, nodes, func(ctx context.Context) bool {
		return count(rdb.Get(ctx, "bench:value").Err())
	})
	if err != nil {
		return err
	}
	res.ReadMaxMeanPlain, res.ReadOpsPlain, res.ReadNodeSharePlain = maxMean(load), ops, shares(load)
	val, err := s.Value("bench:value:copies", split.ValueOptions{Copies: cfg.Copies})
	if err != nil {
		return err
	}
	if err := val.Set(ctx, "v", 0); err != nil {
		return err
	}
	load, ops, err = measure(ctx, cfg, nodes, func(ctx context.Context) bool {
		_, err := val.Get(ctx)
		return count(err)
	})
	if err != nil {
		return err
	}
	res.ReadMaxMeanCopies, res.ReadOpsCopies, res.ReadNodeShareCopies = maxMean(load), ops, shares(load)
	res.Errors += errs.Load()
	return nil
}

// runReplicas measures a read-hot key on a primary with 2 replicas,
// without and with a replica.Router.
func runReplicas(ctx context.Context, cfg Config, res *Result) error {
	rs, err := redistest.StartReplicated(ctx, redistest.ReplicatedOptions{Replicas: 2})
	if err != nil {
		return err
	}
	defer rs.Close()
	rdb := rs.Primary().Client(func(o *redis.Options) { o.PoolSize = cfg.Clients + 4 })
	if err := rdb.Set(ctx, "bench:hot", "v", 0).Err(); err != nil {
		return err
	}
	if err := rdb.Wait(ctx, 2, 5000).Err(); err != nil {
		return err
	}
	r, err := replica.New(rdb, replica.Options{
		Hot: func(key string) bool { return key == "bench:hot" },
		ClientOptions: func(addr string) *redis.Options {
			return &redis.Options{Addr: addr, PoolSize: cfg.Clients + 4}
		},
	})
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Refresh(ctx); err != nil {
		return err
	}
	for _, st := range r.Replicas() {
		if !st.Usable {
			return fmt.Errorf("replica %s not usable: %s", st.Addr, st.Reason)
		}
	}
	nodes := append([]*redistest.Server{rs.Primary()}, rs.Replicas()...)
	var errs atomic.Int64
	read := func(get func(ctx context.Context) error) func(context.Context) bool {
		return func(ctx context.Context) bool {
			if err := get(ctx); err != nil && ctx.Err() == nil {
				errs.Add(1)
				return false
			}
			return true
		}
	}
	load, ops, err := measure(ctx, cfg, nodes, read(func(ctx context.Context) error { return rdb.Get(ctx, "bench:hot").Err() }))
	if err != nil {
		return err
	}
	res.ReadMaxMeanReplicaSetPlain, res.ReadOpsReplicaSetPlain, res.ReadNodeShareReplicaSetPlain = maxMean(load), ops, shares(load)
	load, ops, err = measure(ctx, cfg, nodes, read(func(ctx context.Context) error { return r.Get(ctx, "bench:hot").Err() }))
	if err != nil {
		return err
	}
	res.ReadMaxMeanReplicas, res.ReadOpsReplicas, res.ReadNodeShareReplicas = maxMean(load), ops, shares(load)
	res.ReadMaxMeanReplicasOnly = maxMean(load[1:])
	if sum := load[0] + load[1] + load[2]; sum > 0 {
		res.ReadPrimaryShareReplicas = round(load[0] / sum)
	}
	res.Errors += errs.Load()
	return nil
}

// measure runs op from cfg.Clients goroutines for a warm-up of a quarter
// of cfg.Phase (connections open, scripts load), then for cfg.Phase, and
// returns the commands each node executed in the second part and the
// successful ops per second.
func measure(ctx context.Context, cfg Config, nodes []*redistest.Server, op func(context.Context) bool) ([]float64, float64, error) {
	drive(ctx, cfg.Clients, cfg.Phase/4, op)
	before, err := commands(ctx, nodes)
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	done := drive(ctx, cfg.Clients, cfg.Phase, op)
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	after, err := commands(ctx, nodes)
	if err != nil {
		return nil, 0, err
	}
	load := make([]float64, len(nodes))
	for i := range load {
		load[i] = float64(after[i] - before[i])
	}
	return load, round(float64(done) / elapsed.Seconds()), nil
}

// drive runs op from clients goroutines for d and returns how many calls
// succeeded.
func drive(ctx context.Context, clients int, d time.Duration, op func(context.Context) bool) int64 {
	var done atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if op(ctx) {
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return done.Load()
}

// ignored are the commands the load does not count: the bench's own INFO
// and the clients' housekeeping.
var ignored = []string{"info", "cluster", "ping", "hello", "client", "command", "readonly"}

// commands returns how many commands each node has executed, from INFO
// commandstats.
func commands(ctx context.Context, nodes []*redistest.Server) ([]int64, error) {
	out := make([]int64, len(nodes))
	for i, s := range nodes {
		c := s.Client()
		text, err := c.Info(ctx, "commandstats").Result()
		_ = c.Close()
		if err != nil {
			return nil, fmt.Errorf("INFO commandstats on %s: %w", s, err)
		}
		out[i] = parseCommandstats(text)
	}
	return out, nil
}

// parseCommandstats sums the calls of every command in INFO commandstats
// but the ignored ones.
func parseCommandstats(text string) int64 {
	var n int64
	for _, line := range strings.Split(text, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "cmdstat_")
		base, _, _ := strings.Cut(name, "|")
		skip := false
		for _, ig := range ignored {
			skip = skip || base == ig
		}
		if skip {
			continue
		}
		calls, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
		n += calls
	}
	return n
}

// maxMean returns the largest of load over its mean (0 if all are 0).
func maxMean(load []float64) float64 {
	var sum, most float64
	for _, l := range load {
		sum += l
		most = max(most, l)
	}
	if sum == 0 {
		return 0
	}
	return round(most / (sum / float64(len(load))))
}

// shares returns each node's load over the total (all 0 if the total is).
func shares(load []float64) []float64 {
	var sum float64
	for _, l := range load {
		sum += l
	}
	out := make([]float64, len(load))
	for i, l := range load {
		if sum > 0 {
			out[i] = round(l / sum)
		}
	}
	return out
}

// round rounds to 3 decimals.
func round(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
