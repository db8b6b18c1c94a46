package fleet_test

import (
	"context"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
)

// Every instance of a service joins the fleet with its own tracker; each
// then knows what is hot across all of them.
func ExampleJoin() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // the service's own Redis
	defer rdb.Close()
	tr := heat.Must(heat.Options{})
	defer tr.Close()

	m, err := fleet.Join(ctx, rdb, tr, fleet.Options{
		Stream: "{shop}:redhot:fleet",                       // a hash tag picks the slot in a cluster
		Rules:  fleet.Rules{MinRate: 2000, MinShare: 0.005}, // hot fleet-wide at 2,000 ops/s and 0.5% of traffic
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	sub := m.Subscribe(16)
	go func() {
		for ev := range sub.C {
			log.Printf("fleet: %s %q at %.0f ops/s over %d instances", ev.Kind, ev.Key, ev.Rate, ev.Instances)
		}
	}()

	// In the request path: hot here or hot across the fleet.
	key := "product:42"
	tr.Observe(key, heat.Read)
	nearCache := tr.IsHot(key) || m.IsHot(key)
	log.Printf("serve %s from the near cache: %v", key, nearCache)
}
