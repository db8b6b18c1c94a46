package workload_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redhot/redhot/internal/workload"
)

func ExampleZipf() {
	z, err := workload.NewZipf(workload.ZipfOptions{N: 1_000_000, S: 0.9, Seed: 1, Rate: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("hottest key %s gets %.2f%% of accesses\n", z.Key(z.Index(0)), 100*z.Prob(0))

	// Pre-generate index traces for hot loops; keys are looked up as used.
	trace := make([]uint32, 1_000_000)
	z.Fill(trace)
	hits := 0
	for _, i := range trace {
		if i == z.Index(0) {
			hits++
		}
	}
	fmt.Printf("drawn: %.2f%%\n", 100*float64(hits)/float64(len(trace)))
	fmt.Println("next access at", z.Next().At)
	// Output:
	// hottest key key:408013 gets 3.29% of accesses
	// drawn: 3.31%
	// next access at 16m40s
}

func ExampleNewStep() {
	background, _ := workload.NewZipf(workload.ZipfOptions{N: 10_000, S: 1.0, Seed: 1})
	step, err := workload.NewStep(workload.StepOptions{
		Background: background,
		Key:        "viral:1",
		At:         10 * time.Second,
		Share:      0.02,
		Seed:       1,
		Rate:       50_000,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var before, after int
	for range 20 * 50_000 { // 20 s of stream time
		a := step.Next()
		if a.Key != "viral:1" {
			continue
		}
		if a.At < 10*time.Second {
			before++
		} else {
			after++
		}
	}
	fmt.Printf("viral:1 before 10s: %d, after: %.1f%%\n", before, 100*float64(after)/(10*50_000))
	// Output:
	// viral:1 before 10s: 0, after: 2.0%
}

func ExampleWriteTrace() {
	accesses := []workload.Access{
		{At: 0, Key: "user:42"},
		{At: 125 * time.Microsecond, Key: "counter:home", Op: workload.Write},
		{At: 250 * time.Microsecond, Key: "key with spaces\n"},
	}
	if err := workload.WriteTrace(os.Stdout, accesses); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 0.000000000 r user:42
	// 0.000125000 w counter:home
	// 0.000250000 r "key with spaces\n"
}

func ExampleParseTrace() {
	trace := `# timestamps are optional; ops are r/read/get or w/write/set
0.5 GET user:42
    SET counter:home
1.25 r "binary\xffkey"
`
	accesses, err := workload.ParseTrace(strings.NewReader(trace))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range accesses {
		fmt.Printf("%v %s %q\n", a.At, a.Op, a.Key)
	}
	_, err = workload.ParseTrace(strings.NewReader("r a\nfetch b\n"))
	fmt.Println(err)
	// Output:
	// 500ms read "user:42"
	// 500ms write "counter:home"
	// 1.25s read "binary\xffkey"
	// workload: trace line 2: unknown op "fetch" (want r, read, get, w, write or set)
}

func ExampleNewRWMix() {
	keys, _ := workload.NewKeyspaceOf([]string{"counter:visits", "product:1", "product:2", "session:9"})
	src, _ := workload.NewUniform(workload.UniformOptions{Keys: keys, Seed: 1})
	m, err := workload.NewRWMix(workload.RWMixOptions{
		Source: src,
		Classes: []workload.KeyClass{
			{Name: "counters", Prefix: "counter:", WriteRatio: 0.95},
			{Name: "products", Prefix: "product:", WriteRatio: 0.02},
		},
		WriteRatio: 0.10, // everything else
		Seed:       1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range []string{"counter:visits", "product:1", "session:9"} {
		fmt.Printf("%s: %.0f%% writes\n", k, 100*m.WriteRatio(k))
	}
	// Output:
	// counter:visits: 95% writes
	// product:1: 2% writes
	// session:9: 10% writes
}

func ExampleMix() {
	background, _ := workload.NewZipf(workload.ZipfOptions{N: 1000, S: 0.9, Seed: 1})
	viral, _ := workload.NewKeyspaceOf([]string{"viral:1"})
	one, _ := workload.NewUniform(workload.UniformOptions{Keys: viral})
	m, _ := workload.NewMix(workload.MixOptions{
		Parts: []workload.MixPart{{Sampler: background, Weight: 0.98}, {Sampler: one, Weight: 0.02}},
		Seed:  1,
	})
	n := 0
	for range 100_000 {
		if m.Next().Key == "viral:1" {
			n++
		}
	}
	fmt.Printf("viral:1 share: %.3f\n", float64(n)/100_000)
	// Output:
	// viral:1 share: 0.020
}
