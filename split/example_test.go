package split_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/split"
)

// The shard keys of a counter split three ways, on a standalone server and
// in a cluster, with the slot of each.
func ExampleShardKey() {
	for i := range 3 {
		fmt.Println(split.ShardKey("pageviews", i, 3, false), split.ShardKey("pageviews", i, 3, true), split.ShardSlot("pageviews", i, 3))
	}
	// Output:
	// pageviews#0/3 pageviews#0/3{10205} 752
	// pageviews#1/3 pageviews#1/3{3074} 6213
	// pageviews#2/3 pageviews#2/3{9625} 11674
}

// Which of 12 shards holds each member of a sharded set: the same in every
// process and language (32-bit FNV-1a modulo the shard count).
func ExampleShardOf() {
	for _, m := range []string{"alice", "bob", "foobar"} {
		fmt.Println(m, split.ShardOf(m, 12))
	}
	// Output:
	// alice 11
	// bob 8
	// foobar 4
}

// Slot agrees with CLUSTER KEYSLOT, hash tags included; Tag finds a tag
// for any slot.
func ExampleSlot() {
	fmt.Println(split.Slot("123456789"), split.Slot("{user1000}.following") == split.Slot("user1000"))
	fmt.Println(split.Tag(0), split.Slot("x{"+split.Tag(0)+"}"))
	// Output:
	// 12739 true
	// 3560 0
}

// A write-hot counter and a read-hot flag on a cluster. (Needs a server;
// it compiles but does not run.)
func ExampleSplitter() {
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:7000"}})
	defer rdb.Close()
	s, err := split.New(rdb, split.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	views, _ := s.Counter("views", split.CounterOptions{Shards: 12})
	if err := views.Incr(ctx); err != nil {
		log.Print(err) // errors.Is(err, split.ErrUnknownOutcome): maybe counted
	}
	total, _ := views.Total(ctx)
	fmt.Println(total)

	flags, _ := s.Value("config:flags", split.ValueOptions{Copies: 6})
	_ = flags.Set(ctx, `{"dark_mode":true}`, 0)
	v, _ := flags.Get(ctx) // one copy, chosen at random
	fmt.Println(v)
}
