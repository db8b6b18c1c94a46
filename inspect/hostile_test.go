package inspect

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

// FuzzParseURL checks --url parsing: any input gives an endpoint or an
// error, never a panic; an endpoint has a usable port and database, and
// its redacted form parses back to the same endpoint without the
// password, which it never shows.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"", "localhost", "redis://:pw@h:6380/2", "rediss://user:p%40ss@[::1]:7000/?db=3",
		"redis://u:a/b?c#d@host", "h:0", "redis://[::1", "redis://h:99999", "redis://h/x",
		"redis://h/?db=-1", "redis://h/?foo=1", "ftp://h", "redis://%zz@h", "redis://h:6379#frag",
		"redis://@/", "redis://h/1?db=2&db=3", "REDISS://H:1", ":0]:", "redis://a]b", "redis://::1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := parseURL(raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "redhot: --url: ") && !strings.Contains(err.Error(), "--url: ") {
				t.Fatalf("parseURL(%q) = error %q; want it to name --url", raw, err)
			}
			return
		}
		if e.Port < 1 || e.Port > 65535 || e.DB < 0 {
			t.Fatalf("parseURL(%q) = %+v: port or database out of range", raw, e)
		}
		red := e.Redacted()
		if e.Password != "" && strings.Contains(red, ":"+e.Password+"@") {
			t.Fatalf("Redacted() = %q shows the password", red)
		}
		back, err := parseURL(red)
		if err != nil {
			t.Fatalf("parseURL(%q) = %+v, whose Redacted() %q does not parse: %v", raw, e, red, err)
		}
		want := e
		want.Password, want.HasPassword = "", false
		if back != want {
			t.Fatalf("parseURL(%q) = %+v; its Redacted() %q parses as %+v", raw, want, red, back)
		}
	})
}

// FuzzParseInfo checks the INFO parser and what is read from its fields
// (replicas, keyspace counts): no panic, fields without line breaks,
// parsing idempotent (the parsed fields written out again parse to the
// same map), replicas only with a usable port.
func FuzzParseInfo(f *testing.F) {
	f.Add("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\n")
	f.Add("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndbx:keys=9\r\n")
	f.Add("slave0:ip=h,port=-1,state=online\nslave1:port=99999,state=online\nslave2:state=online,port=1\n")
	f.Add(":\n#a:b\n\r\r\nk:v:w\r\r\n=,=,\n")
	f.Fuzz(func(t *testing.T, text string) {
		m := parseInfo(text)
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			if strings.ContainsAny(k, ":\n") || strings.HasPrefix(k, "#") || strings.Contains(v, "\n") || strings.HasSuffix(v, "\r") {
				t.Fatalf("parseInfo(%q) has field %q = %q", text, k, v)
			}
			b.WriteString(k + ":" + v + "\r\n")
		}
		if again := parseInfo(b.String()); !maps.Equal(again, m) {
			t.Fatalf("parseInfo(%q) = %v; written out and parsed again: %v", text, m, again)
		}
		for _, r := range replicasFromInfo(m) {
			if r.port < 1 || r.port > 65535 {
				t.Fatalf("replicasFromInfo(%q) = %+v: port out of range", text, r)
			}
		}
		if n := keyspaceKeys(m); n < 0 {
			t.Fatalf("keyspaceKeys(%q) = %d", text, n)
		}
		for _, v := range m {
			for k, x := range parseInfoFields(v) {
				if strings.Contains(k, ",") || strings.Contains(x, ",") {
					t.Fatalf("parseInfoFields(%q) has %q = %q", v, k, x)
				}
			}
		}
	})
}

// FuzzParseClusterNodes checks the CLUSTER NODES parser: no panic, and
// every node it returns has a port from 1 to 65535, a role, and slot
// ranges within 0..16383 in order, since callers walk every slot of a
// range.
func FuzzParseClusterNodes(f *testing.F) {
	f.Add("07c3 127.0.0.1:30004@31004,host replica e7d1 0 1426238317239 4 connected\n" +
		"e7d1 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-e7d1]\n")
	f.Add("a :0@1 master - 0 0 1 connected 1 2-3\nb [::1]:7000@17000 slave,fail a 0 0 1 disconnected\n")
	f.Add("x h:1@2 master - 0 0 0 connected 0-99999999999 -5 16384 3-1\n")
	f.Add("y h:-7@2 master - 0 0 0 connected\nz h:70000 master - 0 0 0 connected\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, e := range parseClusterNodes(text) {
			if e.port < 1 || e.port > 65535 {
				t.Fatalf("parseClusterNodes(%q): node %+v has port %d", text, e, e.port)
			}
			if e.role != Primary && e.role != Replica {
				t.Fatalf("parseClusterNodes(%q): node %+v has role %v", text, e, e.role)
			}
			for _, s := range e.slots {
				if s[0] < 0 || s[1] < s[0] || s[1] > 16383 {
					t.Fatalf("parseClusterNodes(%q): node %s:%d owns slots %d-%d", text, e.host, e.port, s[0], s[1])
				}
			}
		}
	})
}

// FuzzLFUAccesses checks the access bands read from LFU counters for any
// counter and any lfu-log-factor a server's CONFIG GET can report (Redis
// takes 0 to INT_MAX): never NaN, low ≤ high, low at least the counter's
// steps above 5 (each takes an access), and high rising with the counter.
func FuzzLFUAccesses(f *testing.F) {
	f.Add(0, int32(10))
	f.Add(255, int32(math.MaxInt32))
	f.Add(-1, int32(-5))
	f.Add(100, int32(0))
	f.Add(6, int32(34))
	f.Fuzz(func(t *testing.T, counter int, factor int32) {
		low, high := LFUAccesses(counter, int(factor))
		if math.IsNaN(low) || math.IsNaN(high) || low < 0 || low > high {
			t.Fatalf("LFUAccesses(%d, %d) = %v, %v", counter, factor, low, high)
		}
		if counter >= lfuInitVal && low < float64(min(counter, 255)-lfuInitVal) {
			t.Fatalf("LFUAccesses(%d, %d) = %v, %v: below the %d steps of the counter", counter, factor, low, high, min(counter, 255)-lfuInitVal)
		}
		if counter >= lfuInitVal && counter < 255 {
			if _, h2 := LFUAccesses(counter+1, int(factor)); h2 < high {
				t.Fatalf("LFUAccesses(%d, %d) high = %v but counter+1 gives %v", counter, factor, high, h2)
			}
		}
	})
}

// replyFrom builds a reply value, as go-redis hands one over (nested
// []any, map[any]any, string, int64, nil), from fuzz bytes, and counts its
// leaves.
func replyFrom(data []byte, depth int) (v any, rest []byte, leaves int) {
	if len(data) == 0 {
		return nil, nil, 1
	}
	op, data := data[0], data[1:]
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		n := int(data[0])
		data = data[1:]
		return n
	}
	switch {
	case op%5 == 0 && depth < 4: // array
		n := next() % 6
		arr := make([]any, 0, n)
		for range n {
			var e any
			var l int
			e, data, l = replyFrom(data, depth+1)
			arr = append(arr, e)
			leaves += l
		}
		return arr, data, leaves
	case op%5 == 1 && depth < 4: // RESP3 map
		n := next() % 4
		m := map[any]any{}
		for range n {
			var k, e any
			var l1, l2 int
			k, data, l1 = replyFrom(data, depth+1)
			e, data, l2 = replyFrom(data, depth+1)
			if k == nil || isList(k) {
				k = "k"
			}
			m[k] = e
			leaves += l1 + l2
		}
		return m, data, leaves
	case op%5 == 2: // integer
		x := int64(int8(next())) << (next() % 64)
		return x, data, 1
	case op%5 == 3: // string: one of the names the parsers look for, or bytes
		names := []string{"by-cpu-time-us", "by-net-bytes", "key-count", "cpu-usec", ""}
		n := next()
		if n < len(names) {
			return names[n], data, 1
		}
		k := min(n%8, len(data))
		s := string(data[:k])
		return s, data[k:], 1
	}
	return nil, data, 1
}

func isList(v any) bool {
	switch v.(type) {
	case []any, map[any]any:
		return true
	}
	return false
}

// FuzzParseServerReplies feeds arbitrary reply shapes to the parsers of
// CLUSTER SLOT-STATS and HOTKEYS GET, which take the reply as go-redis
// decoded it (RESP2 lists or RESP3 maps): no panic, every row labelled
// with its node, and never more rows than the reply has values.
func FuzzParseServerReplies(f *testing.F) {
	f.Add([]byte{0, 2, 0, 2, 2, 5, 0, 0, 4, 3, 2, 2, 7, 1})
	f.Add([]byte{0, 4, 3, 0, 0, 2, 3, 200, 2, 9, 9, 3, 1, 1, 1, 3, 0, 2, 1, 1})
	f.Add([]byte{1, 2, 3, 0, 1, 1, 3, 200, 2, 5, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _, leaves := replyFrom(data, 0)
		stats := parseSlotStats(v, "n1")
		for _, s := range stats {
			if s.Node != "n1" || s.Fields == nil {
				t.Fatalf("parseSlotStats(%#v) row %+v", v, s)
			}
		}
		if len(stats) > leaves {
			t.Fatalf("parseSlotStats(%#v) = %d rows from %d values", v, len(stats), leaves)
		}
		cpu, net := parseHotkeysGet(v, "n1")
		if len(cpu)+len(net) > leaves {
			t.Fatalf("parseHotkeysGet(%#v) = %d keys from %d values", v, len(cpu)+len(net), leaves)
		}
		for _, k := range append(cpu, net...) {
			if k.Node != "n1" {
				t.Fatalf("parseHotkeysGet(%#v) key %+v", v, k)
			}
		}
	})
}
