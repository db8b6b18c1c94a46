package heat_test

import (
	"fmt"
	"time"

	"github.com/redhot/redhot/heat"
)

// A tracker on an injected clock: one key takes most of the traffic and
// the rules flag it.
func Example() {
	clk := heat.NewFakeClock(time.Unix(0, 0))
	tr := heat.Must(heat.Options{Clock: clk, Rules: heat.Rules{MinShare: 0.2}})
	defer tr.Close()

	for i := 0; i < 3000; i++ { // three seconds at 2,000 accesses per second
		tr.Observe("product:42", heat.Read)
		tr.Observe(fmt.Sprintf("user:%d", i%100), heat.Write)
		clk.Add(time.Millisecond)
	}
	tr.Evaluate()

	top := tr.Top(1)[0]
	fmt.Printf("%s %.0f/s, %.0f%% of %.1fk/s, hot=%v\n", top.Key, top.Rate, 100*top.Share, tr.Totals().Rate/1000, top.Hot)
	fmt.Println(tr.IsHot("product:42"), tr.IsHot("user:7"))
	// Output:
	// product:42 1000/s, 50% of 2.0k/s, hot=true
	// true false
}
