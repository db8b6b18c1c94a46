package fleet

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redhot/redhot/heat"
)

// values turns encodeSummary's pairs into the map go-redis reads back.
func values(pairs []any) map[string]any {
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1]
	}
	return m
}

func TestSummaryRoundTrip(t *testing.T) {
	cases := []summary{
		{instance: "a", seq: 1, sentAt: time.UnixMilli(1)},
		{instance: "api-7\x00\xff", seq: 1 << 40, sentAt: time.UnixMilli(1764144000123), leaving: true},
		{
			instance: "api-1", seq: 42, sentAt: time.UnixMilli(-5),
			totals: heat.Totals{Rate: 50000.125, ReadRate: 40000.125, WriteRate: 10000},
			keys: []keyRate{
				{key: "product:viral", rate: 5000.5, writeRate: 0.001},
				{key: "\x00\xff\r\nbinary", truncated: true, rate: 100, writeRate: 100},
				{key: "", rate: 0.001},
			},
		},
		{
			instance: "api-2", seq: 3, sentAt: time.UnixMilli(7),
			keys:  []keyRate{{key: "k", rate: 1}},
			cache: &CacheStats{Mode: "tracking", Hits: 1 << 40, Misses: 12, Fills: 11, Invalidations: 3, Entries: 9, Bytes: 4096},
		},
		{instance: "api-3", seq: 1, sentAt: time.UnixMilli(0), cache: &CacheStats{}},
	}
	for _, want := range cases {
		got, err := decodeSummary(values(encodeSummary(&want)))
		if err != nil {
			t.Fatalf("decodeSummary(encodeSummary(%+v)) = %v", want, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %+v = %+v", want, got)
		}
	}
}

// TestSummarySize: a summary of 64 keys of 20 bytes takes about 1.8 kB.
func TestSummarySize(t *testing.T) {
	s := summary{instance: "api-7f9c-12345-0a1b2c3d", seq: 123456, sentAt: time.Now(), totals: heat.Totals{Rate: 123456.789, WriteRate: 2345.6}}
	for i := range 64 {
		s.keys = append(s.keys, keyRate{key: "product:" + strings.Repeat("x", 12), rate: 1000.0 / float64(i+1), writeRate: 3.5})
	}
	if n := entryBytes(encodeSummary(&s)); n > 1850 {
		t.Errorf("entry of 64 keys takes %d bytes; want at most 1850", n)
	}
}

// TestCacheFieldCompatibility: the near-cache field is optional, so
// releases with and without it share a stream. An entry without it (an
// older writer) has no cache stats; an entry with it read by a reader that
// knows only fields v, i, q, t and d loses nothing else; a cache field of
// a later format is skipped, not the entry; a format 1 field with counters
// appended by a later release keeps the ones this release knows.
func TestCacheFieldCompatibility(t *testing.T) {
	cs := CacheStats{Mode: "tracking", Hits: 100, Misses: 7, Fills: 7, Invalidations: 2, Entries: 5, Bytes: 640}
	s := summary{instance: "api-1", seq: 9, sentAt: time.UnixMilli(1), keys: []keyRate{{key: "k", rate: 3}}, cache: &cs}
	enc := values(encodeSummary(&s))

	old := values(encodeSummary(&s))
	delete(old, fieldCache)
	got, err := decodeSummary(old)
	if err != nil || got.cache != nil || len(got.keys) != 1 || got.seq != 9 {
		t.Errorf("entry without the cache field: %+v, %v; want the summary with no cache stats", got, err)
	}
	for name, field := range map[string]string{
		"later format":      "\x02anything",
		"appended counters": enc[fieldCache].(string) + "\x05\x06",
		"current format":    enc[fieldCache].(string),
	} {
		m := values(encodeSummary(&s))
		m[fieldCache] = field
		got, err := decodeSummary(m)
		if err != nil {
			t.Errorf("%s: decodeSummary = %v", name, err)
			continue
		}
		want := &cs
		if name == "later format" {
			want = nil
		}
		if !reflect.DeepEqual(got.cache, want) {
			t.Errorf("%s: cache = %+v; want %+v", name, got.cache, want)
		}
	}
	for name, field := range map[string]any{
		"empty":           "",
		"truncated":       enc[fieldCache].(string)[:5],
		"long mode":       "\x01\x40" + strings.Repeat("m", 64),
		"not a string":    7,
		"varint overflow": "\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
	} {
		m := values(encodeSummary(&s))
		m[fieldCache] = field
		if _, err := decodeSummary(m); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s cache field: decodeSummary = %v; want ErrMalformed", name, err)
		}
	}
}

func TestDecodeSummaryMalformed(t *testing.T) {
	good := values(encodeSummary(&summary{instance: "a", seq: 1, keys: []keyRate{{key: "k", rate: 2, writeRate: 1}}}))
	with := func(field, value string) map[string]any {
		m := make(map[string]any, len(good))
		for k, v := range good {
			m[k] = v
		}
		if value == "<none>" {
			delete(m, field)
		} else {
			m[field] = value
		}
		return m
	}
	body := good[fieldBody].(string)
	cases := []struct {
		name    string
		values  map[string]any
		version bool // an unknown version rather than malformed
	}{
		{"no version", with(fieldVersion, "<none>"), false},
		{"version 2", with(fieldVersion, "2"), true},
		{"version garbage", with(fieldVersion, "\xff"), true},
		{"no instance", with(fieldInstance, "<none>"), false},
		{"empty instance", with(fieldInstance, ""), false},
		{"long instance", with(fieldInstance, strings.Repeat("i", 257)), false},
		{"seq zero", with(fieldSeq, "0"), false},
		{"seq negative", with(fieldSeq, "-1"), false},
		{"seq text", with(fieldSeq, "one"), false},
		{"timestamp", with(fieldSent, "now"), false},
		{"no body", with(fieldBody, "<none>"), false},
		{"empty body", with(fieldBody, ""), false},
		{"truncated body", with(fieldBody, body[:len(body)-1]), false},
		{"trailing bytes", with(fieldBody, body+"x"), false},
		{"unknown flags", with(fieldBody, "\x02"+body[1:]), false},
		{"writes above rate", with(fieldBody, "\x00\x01\x02\x00"), false},
		{"too many keys", with(fieldBody, "\x00\x00\x00\xff\xff\xff\x7f"), false},
		{"key too long", with(fieldBody, "\x00\x00\x00\x01\xff\xff\x7f"), false},
		{"key past the end", with(fieldBody, "\x00\x00\x00\x01\x05ab"), false},
		{"varint overflow", with(fieldBody, "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), false},
		{"rate out of range", with(fieldBody, "\x00\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00"), false},
		{"not a string", map[string]any{fieldVersion: 1}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeSummary(c.values)
			if c.version && !errors.Is(err, errUnknownVersion) {
				t.Errorf("decodeSummary = %v; want errUnknownVersion", err)
			}
			if !c.version && !errors.Is(err, ErrMalformed) {
				t.Errorf("decodeSummary = %v; want ErrMalformed", err)
			}
		})
	}
}

// FuzzDecodeSummary feeds arbitrary entries to the decoder: it must never
// panic, and whatever it accepts must survive a round trip.
func FuzzDecodeSummary(f *testing.F) {
	seed := summary{instance: "api-1", seq: 7, sentAt: time.UnixMilli(1764144000000), totals: heat.Totals{Rate: 1000, WriteRate: 10},
		keys: []keyRate{{key: "k", rate: 500, writeRate: 5}, {key: "\xff", truncated: true, rate: 1}}}
	enc := values(encodeSummary(&seed))
	cached := seed
	cached.cache = &CacheStats{Mode: "tracking", Hits: 10, Misses: 2, Fills: 2, Entries: 1, Bytes: 64}
	cenc := values(encodeSummary(&cached))
	f.Add("1", "api-1", "7", "1764144000000", []byte(enc[fieldBody].(string)), false, []byte{})
	f.Add("1", "api-1", "7", "1764144000000", []byte(cenc[fieldBody].(string)), true, []byte(cenc[fieldCache].(string)))
	f.Add("1", "x", "1", "0", []byte{1, 0, 0, 0}, true, []byte{2, 0xff})
	f.Add("2", "x", "1", "0", []byte{}, false, []byte{})
	f.Add("1", "x", "18446744073709551615", "-9223372036854775808", []byte{0, 0x80, 0x80, 0}, true, []byte{1, 0x80})
	f.Fuzz(func(t *testing.T, v, inst, seq, ts string, body []byte, withCache bool, cache []byte) {
		in := map[string]any{fieldVersion: v, fieldInstance: inst, fieldSeq: seq, fieldSent: ts, fieldBody: string(body)}
		if withCache {
			in[fieldCache] = string(cache)
		}
		s, err := decodeSummary(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, errUnknownVersion) {
				t.Fatalf("decodeSummary error %v wraps neither ErrMalformed nor errUnknownVersion", err)
			}
			return
		}
		again, err := decodeSummary(values(encodeSummary(&s)))
		if err != nil {
			t.Fatalf("re-decoding an accepted summary: %v", err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip changed the summary:\n%+v\n%+v", s, again)
		}
	})
}

func TestStreamID(t *testing.T) {
	a, ok := parseID("1764144000000-3")
	if !ok || a != (streamID{1764144000000, 3}) || a.String() != "1764144000000-3" {
		t.Errorf("parseID = %v, %v", a, ok)
	}
	for _, bad := range []string{"", "12", "a-1", "1-b", "-1"} {
		if _, ok := parseID(bad); ok {
			t.Errorf("parseID(%q) accepted", bad)
		}
	}
	if !(streamID{1, 5}).less(streamID{2, 0}) || !(streamID{2, 0}).less(streamID{2, 1}) || (streamID{2, 1}).less(streamID{2, 1}) {
		t.Error("less orders stream IDs wrongly")
	}
}
