package replica_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/replica"
)

// Reads of hot keys and of trending:* go to the replicas of a primary;
// everything else, and every write, to the primary. (Needs a server; it
// compiles but does not run.)
func ExampleRouter() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	isHot := func(key string) bool { return key == "product:42" } // the middleware passes its tracker's IsHot
	r, err := replica.New(rdb, replica.Options{
		Hot:            isHot,
		Patterns:       []string{"trending:*"},
		ReadYourWrites: 2 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	rdb.AddHook(r.Hook()) // every command of rdb now goes through the Router

	v, _ := rdb.Get(ctx, "product:42").Result() // from a replica
	vals, _ := rdb.MGet(ctx, "user:1", "trending:today").Result()
	fmt.Println(v, vals) // user:1 from the primary, trending:today from a replica
	for _, s := range r.Replicas() {
		fmt.Println(s.Addr, s.Usable, s.Reason, s.Lag)
	}
}
