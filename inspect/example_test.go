package inspect_test

import (
	"context"
	"fmt"

	"github.com/redhot/redhot/inspect"
)

func ExampleInferPattern() {
	for _, k := range []string{
		"user:1001:profile",
		"user:77:profile",
		"session:550e8400-e29b-41d4-a716-446655440000",
		"log:2024-01-31:errors",
	} {
		fmt.Println(inspect.InferPattern(k))
	}
	// Output:
	// user:*:profile
	// user:*:profile
	// session:*
	// log:*:errors
}

func ExampleLFUAccesses() {
	// A key whose OBJECT FREQ is 25 on a server with lfu-log-factor 10
	// was accessed between about 900 and 3,200 times.
	lo, hi := inspect.LFUAccesses(25, 10)
	fmt.Printf("%.0f to %.0f accesses\n", lo, hi)
	// Output:
	// 922 to 3196 accesses
}

func ExampleParseMonitorLine() {
	var m inspect.MonitorLine
	err := inspect.ParseMonitorLine([]byte(`1700000000.123456 [0 127.0.0.1:53012] "SET" "user:1" "a\"b"`), &m)
	fmt.Println(err, m.DB, m.Source, len(m.Args), m.Args[1])
	// Output:
	// <nil> 0 127.0.0.1:53012 3 user:1
}

func ExampleConnect() {
	// Needs a server: this example compiles but does not run.
	ctx := context.Background()
	t, err := inspect.Connect(ctx, inspect.ConnOptions{URL: "redis://127.0.0.1:6379"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	rep, err := inspect.Hotkeys(ctx, t, inspect.HotkeysOptions{Top: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range rep.Keys {
		fmt.Println(k.Key, k.Counter)
	}
}
