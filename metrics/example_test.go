package metrics_test

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/metrics"
)

func ExampleKeyLabel() {
	fmt.Println(metrics.KeyLabel("product:42", false, 128))
	fmt.Println(metrics.KeyLabel("session:\x00\xff", false, 128))
	fmt.Println(metrics.KeyLabel("feed:user:1234567890:timeline", false, 16))
	fmt.Println(metrics.KeyLabel("a-key-the-tracker-cut", true, 128))
	// Output:
	// product:42
	// session:\x00\xff
	// feed:user:123…
	// a-key-the-tracker-cut…
}

// A tracker's collector on a registry of the program's own: the hottest
// key has series of its own.
func ExampleNewTrackerCollector() {
	clk := heat.NewFakeClock(time.Unix(0, 0))
	tr := heat.Must(heat.Options{Clock: clk})
	defer tr.Close()
	for i := range 3000 {
		tr.Observe("product:42", heat.Read)
		tr.Observe(fmt.Sprintf("user:%d", i%300), heat.Read)
		clk.Add(time.Millisecond)
	}
	tr.Evaluate()

	c, err := metrics.NewTrackerCollector(tr, metrics.Options{TopK: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "redhot_heat_key_hot" {
			continue
		}
		for _, m := range mf.GetMetric() {
			fmt.Printf("%s{key=%q} %v\n", mf.GetName(), m.GetLabel()[0].GetValue(), m.GetGauge().GetValue())
		}
	}
	// Output:
	// redhot_heat_key_hot{key="product:42"} 1
}
