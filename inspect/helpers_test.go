package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{})
	goleak.VerifyTestMain(m)
}

// quietLogger drops go-redis's log lines about dial failures, which the
// tests cause on purpose.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// lfu is the redis.conf line of an LFU server.
const lfu = "maxmemory-policy allkeys-lfu"

// connect connects to url and closes the target when the test ends.
func connect(tb testing.TB, url string, configure ...func(*inspect.ConnOptions)) *inspect.Target {
	tb.Helper()
	o := inspect.ConnOptions{URL: url, Timeout: 3 * time.Second}
	for _, f := range configure {
		f(&o)
	}
	tg, err := inspect.Connect(tb.Context(), o)
	if err != nil {
		tb.Fatalf("Connect(%s) = %v", url, err)
	}
	tb.Cleanup(func() { tg.Close() })
	return tg
}

func urlOf(s *redistest.Server) string { return "redis://" + s.Addr() }

// traffic runs fn in a loop on its own goroutine until the returned stop
// is called (or the test ends); stop waits for the goroutine.
func traffic(tb testing.TB, fn func(ctx context.Context) error) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(tb.Context())
	var (
		wg   sync.WaitGroup
		once sync.Once
	)
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				tb.Errorf("traffic: %v", err)
				return
			}
		}
	})
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	tb.Cleanup(stop)
	return stop
}

// access sends n GETs of key in one pipeline.
func access(tb testing.TB, c redis.Cmdable, key string, n int) {
	tb.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	for range n {
		pipe.Get(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		tb.Fatalf("GET %q ×%d: %v", key, n, err)
	}
}

// roundTrip writes r as JSON and table and checks both: the JSON parses
// with the common header, and the table has no line broken by a key.
func roundTrip(tb testing.TB, r inspect.Report, command string) map[string]any {
	tb.Helper()
	var buf bytes.Buffer
	if err := inspect.WriteJSON(&buf, r); err != nil {
		tb.Fatalf("WriteJSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		tb.Fatalf("report JSON does not parse: %v\n%s", err, buf.String())
	}
	if doc["schema_version"] != float64(inspect.SchemaVersion) || doc["command"] != command {
		tb.Errorf("JSON header: schema_version %v command %v; want %d %q", doc["schema_version"], doc["command"], inspect.SchemaVersion, command)
	}
	buf.Reset()
	if err := r.WriteTable(&buf); err != nil {
		tb.Fatalf("WriteTable: %v", err)
	}
	if !strings.HasPrefix(buf.String(), "# "+command+":") {
		tb.Errorf("table does not start with its title:\n%s", buf.String())
	}
	return doc
}

// configGet reads one parameter with the server's admin client.
func configGet(tb testing.TB, c *redis.Client, param string) string {
	tb.Helper()
	m, err := c.ConfigGet(context.Background(), param).Result()
	if err != nil {
		tb.Fatalf("CONFIG GET %s: %v", param, err)
	}
	return m[param]
}

func keysOf[T any](ks []T, key func(T) string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = key(k)
	}
	return out
}

func fill(tb testing.TB, c redis.Cmdable, prefix string, n int) {
	tb.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		tb.Fatalf("fill: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
