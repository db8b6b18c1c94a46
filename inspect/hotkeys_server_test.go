package inspect

import (
	"slices"
	"testing"
)

// TestParseHotkeysGet reads a HOTKEYS GET reply in the shape the Redis 8.6
// documentation gives, as go-redis returns it over RESP2 and RESP3.
func TestParseHotkeysGet(t *testing.T) {
	resp2 := []any{
		"tracking-active", int64(0), "sample-ratio", int64(1), "selected-slots", []any{},
		"all-commands-all-slots-us", int64(220), "net-bytes-all-commands-all-slots", int64(200),
		"collection-start-time-unix-ms", int64(1769420604522), "collection-duration-ms", int64(6408),
		"by-cpu-time-us", []any{"x", int64(104), "y", int64(98)},
		"by-net-bytes", []any{"y", int64(150), "x", int64(50)},
	}
	resp3 := map[any]any{
		"tracking-active": int64(0),
		"by-cpu-time-us":  map[any]any{"x": int64(104), "y": int64(98)},
		"by-net-bytes":    []any{"y", int64(150), "x", int64(50)},
	}
	for name, reply := range map[string]any{"resp2": resp2, "resp3": resp3} {
		cpu, net := parseHotkeysGet(reply, "n:1")
		cpu, net = rankServerKeys(cpu, 10), rankServerKeys(net, 10)
		got := func(ks []ServerHotKey) []string {
			var out []string
			for _, k := range ks {
				out = append(out, k.Key+"="+itoa64(k.Value))
			}
			return out
		}
		if g := got(cpu); !slices.Equal(g, []string{"x=104", "y=98"}) {
			t.Errorf("%s: by CPU = %v; want x=104 y=98", name, g)
		}
		if g := got(net); !slices.Equal(g, []string{"y=150", "x=50"}) {
			t.Errorf("%s: by network = %v; want y=150 x=50", name, g)
		}
	}
}

func itoa64(v int64) string { return human(float64(v)) }
