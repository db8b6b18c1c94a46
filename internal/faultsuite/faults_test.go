package faultsuite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/split"
)

// The keys of the layers. The cluster faults move their slots.
const (
	keyPlain      = "fs:nc:plain" // near cache: written by a plain client
	keyOwn        = "fs:nc:own"   // near cache: written through the middleware
	keyLease      = "fs:lease"    // stampede
	keyCounter    = "fs:count"    // split counter
	counterShards = 6
)

// layerKeys returns one key per slot the layers' data lives in.
func layerKeys() []string {
	keys := []string{keyPlain, keyOwn, keyLease}
	for i := range counterShards {
		keys = append(keys, split.ShardKey(keyCounter, i, counterShards, true))
	}
	return keys
}

// proxyFault is a sustained fault of the proxy, healed by Heal.
func proxyFault(name, how string, cli outcome, do func(*redistest.Proxy)) *fault {
	return &fault{
		name: name, how: how, cli: cli,
		inject: func(_ context.Context, f *faulty) error { do(f.proxy); return nil },
		heal:   func(_ context.Context, f *faulty) error { f.proxy.Heal(); return nil },
	}
}

// allFaults returns every fault the suite injects, in order. hold is how
// long sustained faults last.
func allFaults(hold time.Duration) []*fault {
	return []*fault{
		{
			name: "none", how: "no fault: the baseline every other row is compared with", cli: expectOK,
			inject: func(context.Context, *faulty) error { return nil },
		},
		proxyFault("latency", "the proxy delays every chunk by 20 ms each way", expectOK,
			func(p *redistest.Proxy) { p.SetLatency(20 * time.Millisecond) }),
		proxyFault("drop", "the proxy closes every connection (FIN) and closes new ones as soon as they are accepted", expectError,
			(*redistest.Proxy).Drop),
		proxyFault("reset", "the proxy resets every connection (RST) and resets new ones as soon as they are accepted", expectError,
			(*redistest.Proxy).Reset),
		{
			name: "half-open", cli: expectError,
			how: "the proxy stops reading and writing on every connection, new ones included, keeping the sockets open (a blackholed server); " +
				"healed by closing the silent connections, which never come back, and forwarding new ones",
			inject: func(_ context.Context, f *faulty) error { f.proxy.HalfOpen(); return nil },
			heal: func(_ context.Context, f *faulty) error {
				f.proxy.Drop()
				f.proxy.Heal()
				return nil
			},
		},
		proxyFault("partition c→s", "the proxy stops carrying bytes from clients to the server (held back and delivered on heal, as TCP retransmits them); replies and pushes still flow", expectError,
			func(p *redistest.Proxy) { p.Partition(redistest.ClientToServer) }),
		proxyFault("partition s→c", "the proxy stops carrying bytes from the server to clients: commands are applied, replies and invalidations held back until the heal or the connection's end", expectError,
			func(p *redistest.Proxy) { p.Partition(redistest.ServerToClient) }),
		{
			name: "kill", cli: expectError,
			how:    "SIGKILL to redis-server, restarted on the same port after the hold (its append-only file keeps what it acknowledged)",
			inject: func(_ context.Context, f *faulty) error { return f.srv.Kill() },
			heal:   func(ctx context.Context, f *faulty) error { return f.srv.Restart(ctx) },
		},
		{
			name: "pause", cli: expectError,
			how:    fmt.Sprintf("SIGSTOP to redis-server for %v, past the staleness bound, then SIGCONT", hold),
			inject: func(_ context.Context, f *faulty) error { return f.srv.Pause() },
			heal:   func(_ context.Context, f *faulty) error { return f.srv.Resume() },
		},
		{
			name: "restart", event: true, cli: expectClean,
			how:    "redis-server killed and started again at once (every connection drops; data kept by its append-only file)",
			inject: func(ctx context.Context, f *faulty) error { return f.srv.Restart(ctx) },
		},
		{
			name: "failover", event: true, cluster: true, cli: expectClean,
			how: "cluster of 3 primaries with a replica each: CLUSTER FAILOVER (coordinated) of the primary of the near-cache keys' slot, " +
				"alternating between the two nodes",
			inject: func(ctx context.Context, f *faulty) error {
				// A manual failover can time out inside Redis (the
				// replica must catch up while the primary pauses), more
				// so on a loaded machine; that is the harness's trouble,
				// not a layer's, so it is tried again.
				var err error
				for range 3 {
					if err = failover(ctx, f); err == nil {
						return nil
					}
				}
				return err
			},
		},
		{
			name: "slot migration", event: true, cluster: true, cli: expectClean,
			how: "cluster: MIGRATE of the slots of every layer's keys (near cache, lease, counter shards) to the next primary",
			inject: func(ctx context.Context, f *faulty) error {
				ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				primaries := f.cluster.Primaries()
				f.moved++
				for _, k := range f.keys {
					slot := split.Slot(k)
					owner := f.cluster.NodeForSlot(slot)
					var to *redistest.Server
					for i, p := range primaries {
						if p == owner {
							to = primaries[(i+f.moved)%len(primaries)]
						}
					}
					if to == nil || to == owner {
						to = primaries[f.moved%len(primaries)]
					}
					if to == owner {
						continue
					}
					if err := f.cluster.MoveSlot(ctx, slot, to); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
}

// waitSynced waits until replica's link to its primary is up and no sync
// is in progress.
func waitSynced(ctx context.Context, replica *redistest.Server) error {
	c := replica.Client()
	defer c.Close()
	for {
		text, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(text, "master_link_status:up") && strings.Contains(text, "master_sync_in_progress:0") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica %s not in sync: %w (last INFO error: %v)", replica, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// failover fails the primary of keyPlain's slot over to its replica, once
// the replica is in sync.
func failover(ctx context.Context, f *faulty) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	owner := f.cluster.NodeForSlot(split.Slot(keyPlain))
	replicas := f.cluster.ReplicasOf(owner)
	if len(replicas) == 0 {
		return fmt.Errorf("primary %s of slot %d has no replica", owner, split.Slot(keyPlain))
	}
	// A node that was the primary a moment ago may still be resyncing;
	// CLUSTER FAILOVER would time out on it.
	if err := waitSynced(ctx, replicas[0]); err != nil {
		return err
	}
	return f.cluster.Failover(ctx, replicas[0])
}
