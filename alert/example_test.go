package alert_test

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/alert"
	"github.com/redhot/redhot/heat"
)

// Rules applied to snapshots by hand: a product key fires past 1,000
// reads per second, stays firing while above half of that, and pages
// again only after the cooldown.
func ExampleEvaluator() {
	ev, err := alert.NewEvaluator([]alert.Rule{{
		Name:     "hot-product",
		Pattern:  "product:*",
		Op:       alert.Reads,
		MinRate:  1000,
		Cooldown: 10 * time.Minute,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	total := heat.Totals{Rate: 20000, ReadRate: 18000, WriteRate: 2000}
	at := time.Date(2025, 11, 26, 8, 0, 0, 0, time.UTC)
	for i, reads := range []float64{800, 1500, 700, 400, 1500} {
		keys := []heat.KeyStat{{Key: "product:42", Rate: reads, ReadRate: reads}}
		for _, a := range ev.Evaluate(at.Add(time.Duration(i)*time.Minute), total, keys) {
			fmt.Printf("+%dm %s %s %.0f reads/s\n", i, a.Kind, a.Key, a.Rate)
		}
	}
	fmt.Println("held back by the cooldown:", ev.Suppressed())
	// Output:
	// +1m firing product:42 1500 reads/s
	// +3m resolved product:42 400 reads/s
	// held back by the cooldown: 1
}

// A Monitor on a service's tracker: alerts go to the log, a webhook and a
// Redis channel other systems subscribe to.
func ExampleNew() {
	tr := heat.Must(heat.Options{})
	defer tr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()

	hook, err := alert.NewWebhook(alert.WebhookOptions{URL: "https://ops.example.com/hooks/redis"})
	if err != nil {
		panic(err)
	}
	channel, err := alert.NewPubSub(rdb, alert.PubSubOptions{}) // "redhot:alerts"
	if err != nil {
		panic(err)
	}
	m, err := alert.New(tr, alert.Options{
		Rules: []alert.Rule{
			{Name: "hot"}, // whatever the tracker calls hot
			{Name: "write-storm", Op: alert.Writes, MinShare: 0.2},
			{Name: "sessions", Pattern: "session:*", MinRate: 5000},
		},
		Notifiers: []alert.Notifier{alert.Log(slog.New(slog.NewJSONHandler(os.Stderr, nil))), hook, channel},
		Origin:    "api-7f9c",
	})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	// ... tr.Observe(key, op) from the service's Redis calls ...
}
