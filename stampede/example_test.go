package stampede_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/stampede"
)

// How long before expiry a value that took 200ms to compute is
// recomputed, for the lowest, middle and highest draws, with the default
// Beta of 1 and with Beta 0.5: however often it is read.
func ExampleRefreshLead() {
	for _, beta := range []float64{1, 0.5} {
		fmt.Printf("beta %v:", beta)
		for _, draw := range []float64{0, 0.5, 0.999} {
			fmt.Printf(" %v", stampede.RefreshLead(200*time.Millisecond, beta, draw).Round(time.Millisecond))
		}
		fmt.Println()
	}
	// Output:
	// beta 1: 300ms 400ms 500ms
	// beta 0.5: 250ms 300ms 350ms
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
