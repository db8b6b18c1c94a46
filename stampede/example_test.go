package stampede_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/stampede"
)

// How likely one read is to recompute a value that took 200ms to compute,
// as its expiry nears (β = 1).
func ExampleEarlyProbability() {
	for _, left := range []time.Duration{2 * time.Second, time.Second, 500 * time.Millisecond, 200 * time.Millisecond, 0} {
		fmt.Printf("%v left: %.4f\n", left, stampede.EarlyProbability(left, 200*time.Millisecond, 1))
	}
	// Output:
	// 2s left: 0.0000
	// 1s left: 0.0067
	// 500ms left: 0.0821
	// 200ms left: 0.3679
	// 0s left: 1.0000
}

// A service reads a hot product page through the cache. This example needs
// a Redis server, so it is compiled but not run.
func ExampleCache_Fetch() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	cache, err := stampede.New(stampede.Options{
		Client:      client,
		NegativeTTL: 30 * time.Second, // remember missing products too
	})
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	page, err := cache.Fetch(context.Background(), "product:{42}:page", time.Minute,
		func(ctx context.Context) ([]byte, error) {
			return renderProductPage(ctx, 42) // slow; called once per expiry across the fleet
		})
	switch {
	case errors.Is(err, stampede.ErrNotFound):
		fmt.Println("404")
	case err != nil:
		fmt.Println("error:", err)
	default:
		fmt.Printf("%d bytes\n", len(page))
	}
}

func renderProductPage(ctx context.Context, id int) ([]byte, error) {
	return []byte(fmt.Sprintf("<h1>product %d</h1>", id)), nil
}
