package redhot_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/replica"
	"github.com/redhot/redhot/split"
)

// A service attaches redhot to its client once; from then on hot keys are
// found and their reads served from memory, within one second of any
// change by anyone.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	mw, err := redhot.New(rdb, redhot.Options{
		Patterns:     []string{"flag:*"}, // always cached
		MaxStaleness: 500 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close()

	ctx := context.Background()
	price, err := rdb.Get(ctx, "product:42:price").Result() // cached once hot
	if err != nil && err != redis.Nil {
		log.Fatal(err)
	}
	fmt.Println(price)

	for _, k := range mw.Top(5) {
		fmt.Printf("%s %.0f/s hot=%v\n", k.Key, k.Rate, k.Hot)
	}
	st := mw.Stats()
	fmt.Printf("mode %v, bound %v, %d hits\n", st.Cache.Mode, st.Cache.StalenessBound, st.Cache.Hits)
}

// Get serves a hit without building a go-redis command.
func ExampleMiddleware_Get() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	mw, err := redhot.New(rdb, redhot.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close()
	mw.Pin("config:feature-flags")
	flags, err := mw.Get(context.Background(), "config:feature-flags")
	if err == redis.Nil {
		flags = "{}"
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(flags)
}

// Every instance of a service joins the fleet: a key hot across the
// fleet is then cached (and read from replicas) in each of them, even
// where it is only warm locally.
func ExampleMiddleware_JoinFleet() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	mw, err := redhot.New(rdb, redhot.Options{
		Replicas: &replica.Options{}, // hot reads the near cache does not answer go to replicas
	})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close() // leaves the fleet too
	ctx := context.Background()
	m, err := mw.JoinFleet(ctx, fleet.Options{Stream: "{shop}:redhot:fleet"})
	if err != nil {
		log.Fatal(err)
	}
	tot := m.CacheTotals() // every instance's near cache, summed
	fmt.Printf("%d keys hot fleet-wide; %d instances' near caches: %d hits, %d misses\n",
		m.Stats().Hot, tot.Instances, tot.Hits, tot.Misses)
}

// A counter the middleware reports write-hot is switched, by the service,
// to a sharded counter on the same client.
func ExampleMiddleware_Counter() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	mw, err := redhot.New(rdb, redhot.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close()
	for _, k := range mw.WriteHot() {
		fmt.Printf("%s: %.0f writes/s of %.0f/s; consider a split.Counter\n", k.Key, k.WriteRate, k.Rate)
	}
	views, err := mw.Counter("views:2024-05-20", split.CounterOptions{Shards: 12})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := views.Incr(ctx); err != nil {
		log.Fatal(err)
	}
	n, err := views.Total(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
}
