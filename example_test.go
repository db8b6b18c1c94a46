package redhot_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
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
