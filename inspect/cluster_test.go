package inspect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
)

func TestCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.NewCluster(t, redistest.ClusterOptions{
		Primaries: 3, PartialCoverage: true,
		Server: redistest.ServerOptions{Config: []string{lfu}},
	})
	cc := cl.Client()
	ctx := t.Context()
	fill(t, cc, "k:", 300)
	cc.Set(ctx, "hot", "v", 0)
	access(t, cc, "hot", 2000)
	slot, err := cc.ClusterKeySlot(ctx, "hot").Result()
	if err != nil {
		t.Fatal(err)
	}
	hotNode := cl.NodeForSlot(int(slot)).Addr()
	seed := cl.Primaries()[0]
	tg := connect(t, urlOf(seed))
	if tg.Mode() != inspect.Cluster || len(tg.Nodes()) != 3 {
		t.Fatalf("Connect to a cluster node: mode %s, %d nodes; want cluster with 3", tg.Mode(), len(tg.Nodes()))
	}

	t.Run("hotkeys", func(t *testing.T) {
		rep, err := inspect.Hotkeys(ctx, tg, inspect.HotkeysOptions{Top: 5})
		if err != nil {
			t.Fatalf("Hotkeys = %v", err)
		}
		if rep.Scanned != 301 || rep.Keys[0].Key != "hot" || rep.Keys[0].Node != hotNode {
			t.Errorf("Hotkeys scanned %d, first %+v; want 301 keys and hot on %s", rep.Scanned, rep.Keys[0], hotNode)
		}
		if len(rep.LFU) != 3 || usedNodes(rep.Head()) != 3 {
			t.Errorf("Hotkeys used %d nodes with settings %+v; want all 3 primaries", usedNodes(rep.Head()), rep.LFU)
		}
		roundTrip(t, rep, "hotkeys")
	})

	t.Run("monitor", func(t *testing.T) {
		stop := traffic(t, func(ctx context.Context) error {
			pipe := cc.Pipeline()
			for range 5 {
				pipe.Get(ctx, "hot")
			}
			pipe.Get(ctx, "k:1")
			_, err := pipe.Exec(ctx)
			return err
		})
		rep, err := inspect.Monitor(ctx, tg, inspect.MonitorOptions{Duration: time.Second})
		stop()
		if err != nil {
			t.Fatalf("Monitor = %v", err)
		}
		if len(rep.Keys) < 2 || rep.Keys[0].Key != "hot" || rep.Keys[0].Node != hotNode {
			t.Fatalf("Monitor keys %+v; want hot first, on %s", rep.Keys, hotNode)
		}
	})

	t.Run("balance", func(t *testing.T) {
		// 500 keys sharing a hash tag fill one slot.
		pipe := cc.Pipeline()
		for i := range 500 {
			pipe.Set(ctx, "{acme}:order:"+itoa(i), "o", 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			pipe := cc.Pipeline()
			for i := range 500 {
				pipe.Del(ctx, "{acme}:order:"+itoa(i))
			}
			pipe.Exec(context.Background())
		}()
		rep, err := inspect.Balance(ctx, tg, inspect.BalanceOptions{Interval: 500 * time.Millisecond, SlotSample: 200})
		if err != nil {
			t.Fatalf("Balance = %v", err)
		}
		slots := 0
		for _, n := range rep.Nodes {
			slots += n.Slots
			if len(n.Ratios) == 0 {
				t.Errorf("node %s has no ratios to the mean", n.Node)
			}
		}
		if slots != 16384 || rep.Slots == nil || rep.Slots.Sampled != 600 {
			t.Errorf("slots served %d, spread %+v; want 16384 and 600 sampled", slots, rep.Slots)
		}
		if !strings.Contains(strings.Join(rep.Imbalances, " "), "hash tag") {
			t.Errorf("imbalances = %q; want the slot of {acme} found or suspected", rep.Imbalances)
		}
		all, err := inspect.Balance(ctx, tg, inspect.BalanceOptions{Interval: 100 * time.Millisecond, SlotSample: -1})
		if err != nil {
			t.Fatalf("Balance over all slots = %v", err)
		}
		acme, _ := cc.ClusterKeySlot(ctx, "{acme}").Result()
		if all.Slots.Sampled != 16384 || all.Slots.Top[0].Slot != int(acme) || all.Slots.Top[0].Keys < 500 {
			t.Errorf("all slots: sampled %d, fullest %+v; want 16384 and slot %d with 500 keys", all.Slots.Sampled, all.Slots.Top[0], acme)
		}
		if rep.SlotStatsAvailable || !hasNote(rep.Head(), "CLUSTER SLOT-STATS is not available") {
			t.Errorf("SlotStatsAvailable %v, notes %q; want a note that 7.0 lacks it", rep.SlotStatsAvailable, rep.Notes)
		}
		roundTrip(t, rep, "balance")
	})

	t.Run("failed node", func(t *testing.T) {
		// Kill a primary that does not hold "hot" and is not the seed.
		var victim *redistest.Server
		for _, p := range cl.Primaries() {
			if p != seed && p.Addr() != hotNode {
				victim = p
			}
		}
		n, err := victim.Client().DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := victim.Kill(); err != nil {
			t.Fatal(err)
		}
		tg := connect(t, urlOf(seed))
		rep, err := inspect.Bigkeys(ctx, tg, inspect.BigkeysOptions{})
		if err != nil {
			t.Fatalf("Bigkeys with a dead primary = %v; want a partial result", err)
		}
		if !rep.Partial || rep.Scanned != 301-n || !strings.Contains(strings.Join(rep.Warnings, " "), victim.Addr()) {
			t.Errorf("Bigkeys partial %v, scanned %d, warnings %q; want partial, %d keys, a warning naming %s",
				rep.Partial, rep.Scanned, rep.Warnings, 301-n, victim.Addr())
		}
		for _, ni := range rep.Target.Nodes {
			if ni.Addr == victim.Addr() && (ni.Used || ni.Error == "") {
				t.Errorf("node info of the dead node = %+v; want unused with an error", ni)
			}
		}
	})
}

// TestReplicas checks --replicas: scans go to the replica, and MONITOR on
// a replica leaves out the writes it applies for its primary.
func TestReplicas(t *testing.T) {
	t.Parallel()
	rs := redistest.NewReplicated(t, 1, redistest.ServerOptions{Config: []string{lfu}})
	if err := rs.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	primary := rs.Primary().Client()
	fill(t, primary, "k:", 100)
	replica := rs.Replicas()[0]
	tg := connect(t, urlOf(rs.Primary()), func(o *inspect.ConnOptions) { o.Replicas = true })
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := replica.Client().DBSize(t.Context()).Result(); n == 100 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep, err := inspect.Memkeys(t.Context(), tg, inspect.MemkeysOptions{})
	if err != nil {
		t.Fatalf("Memkeys --replicas = %v", err)
	}
	for _, ni := range rep.Target.Nodes {
		if ni.Used != (ni.Addr == replica.Addr()) {
			t.Errorf("node %s used %v; want only the replica used", ni.Addr, ni.Used)
		}
	}
	if rep.Scanned != 100 {
		t.Errorf("Memkeys on the replica scanned %d; want 100", rep.Scanned)
	}
	rc := replica.Client()
	traffic(t, func(ctx context.Context) error {
		if err := primary.Set(ctx, "written", "v", 0).Err(); err != nil {
			return err
		}
		err := rc.Get(ctx, "read-on-replica").Err()
		if err == redis.Nil {
			err = nil
		}
		return err
	})
	mon, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: time.Second})
	if err != nil {
		t.Fatalf("Monitor --replicas = %v", err)
	}
	if mon.Skipped["replication"] == 0 {
		t.Errorf("Skipped = %v; want the replica's replication stream left out", mon.Skipped)
	}
	for _, k := range mon.Keys {
		if k.Key == "written" && k.Node == replica.Addr() {
			t.Errorf("Monitor counts the replicated write of %q on the replica", k.Key)
		}
	}
}

func usedNodes(h *inspect.Header) int {
	n := 0
	for _, ni := range h.Target.Nodes {
		if ni.Used {
			n++
		}
	}
	return n
}

func hasNote(h *inspect.Header, prefix string) bool {
	for _, n := range h.Notes {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
