package inspect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
)

// compareHotkeys fills the server with n keys, sends the Zipf trace, and
// runs both tools cfg.Runs times each, interleaved.
func compareHotkeys(ctx context.Context, cfg Config, n int, srv *redistest.Server, t tools) ([]HotkeysResult, error) {
	z, err := workload.NewZipf(workload.ZipfOptions{S: 1.0, N: n, Seed: 1})
	if err != nil {
		return nil, err
	}
	c := srv.Client()
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		return nil, err
	}
	// Every key exists, with a small value.
	for start := 0; start < n; start += 1000 {
		pipe := c.Pipeline()
		for i := start; i < min(start+1000, n); i++ {
			pipe.Set(ctx, z.Key(uint32(i)), "v", 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	trace := make([]uint32, cfg.Accesses)
	z.Fill(trace)
	counts := make([]int, n)
	for _, i := range trace {
		counts[i]++
	}
	if err := replay(ctx, c, z, trace); err != nil {
		return nil, err
	}
	truth := topIndices(counts, 16)
	want := map[string]bool{}
	for _, i := range truth {
		want[z.Key(uint32(i))] = true
	}

	var redhotTimes, cliTimes []float64
	var redhotRecall, cliRecall float64
	for range cfg.Runs {
		keys, d, err := runRedhot(ctx, t.redhot, srv.Addr())
		if err != nil {
			return nil, err
		}
		redhotTimes = append(redhotTimes, d.Seconds())
		redhotRecall = recall(keys, want)
		keys, d, err = runRedisCLI(ctx, t.redisCLI, srv.Addr())
		if err != nil {
			return nil, err
		}
		cliTimes = append(cliTimes, d.Seconds())
		cliRecall = recall(keys, want)
	}
	return []HotkeysResult{
		{Tool: "redhot", Keys: n, Accesses: cfg.Accesses, RecallAt16: redhotRecall, Seconds: median(redhotTimes), Runs: cfg.Runs},
		{Tool: "redis-cli", Keys: n, Accesses: cfg.Accesses, RecallAt16: cliRecall, Seconds: median(cliTimes), Runs: cfg.Runs},
	}, nil
}

// replay sends the trace as pipelined GETs from a few goroutines.
func replay(ctx context.Context, c *redis.Client, z *workload.Zipf, trace []uint32) error {
	const workers, batch = 4, 500
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			part := trace[w*len(trace)/workers : (w+1)*len(trace)/workers]
			for start := 0; start < len(part); start += batch {
				pipe := c.Pipeline()
				for _, i := range part[start:min(start+batch, len(part))] {
					pipe.Get(ctx, z.Key(i))
				}
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// topIndices returns the indices of the k largest counts.
func topIndices(counts []int, k int) []int {
	idx := make([]int, len(counts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return counts[b] - counts[a] })
	return idx[:min(k, len(idx))]
}

func recall(got []string, want map[string]bool) float64 {
	hit := 0
	seen := map[string]bool{}
	for _, k := range got {
		if want[k] && !seen[k] {
			hit++
		}
		seen[k] = true
	}
	return float64(hit) / float64(len(want))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// runRedhot runs `redhot hotkeys -n 16 -o json` and returns its keys.
func runRedhot(ctx context.Context, bin, addr string) ([]string, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, "hotkeys", "-u", "redis://"+addr, "-n", "16", "-o", "json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return nil, 0, fmt.Errorf("redhot hotkeys: %v: %s", err, errOut.String())
	}
	var rep struct {
		Keys []struct {
			Key string `json:"key"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, 0, fmt.Errorf("redhot hotkeys output: %w", err)
	}
	keys := make([]string, len(rep.Keys))
	for i, k := range rep.Keys {
		keys[i] = k.Key
	}
	return keys, d, nil
}

// runRedisCLI runs `redis-cli --hotkeys` and returns the keys of its
// summary ("hot key found with counter: N\tkeyname: "key"").
func runRedisCLI(ctx context.Context, bin, addr string) ([]string, time.Duration, error) {
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "--hotkeys")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return nil, 0, fmt.Errorf("redis-cli --hotkeys: %v: %s", err, errOut.String())
	}
	var keys []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		_, name, ok := strings.Cut(sc.Text(), "keyname: ")
		if !ok {
			continue
		}
		if k, err := strconv.Unquote(name); err == nil {
			name = k
		}
		keys = append(keys, name)
	}
	if len(keys) == 0 {
		return nil, 0, fmt.Errorf("redis-cli --hotkeys printed no keys: %s%s", out.String(), errOut.String())
	}
	return keys, d, nil
}
