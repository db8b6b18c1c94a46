package stampede

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEntryRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		e    entry
	}{
		{"value", entry{kind: kindValue, expiry: epoch.Add(1500 * time.Millisecond), delta: 123456 * time.Microsecond, payload: "hello"}},
		{"empty value", entry{kind: kindValue, expiry: epoch, payload: ""}},
		{"binary value", entry{kind: kindValue, expiry: epoch, delta: time.Millisecond, payload: "\x00\xff{}RHS\x01"}},
		{"not found", entry{kind: kindNotFound, expiry: epoch.Add(time.Hour)}},
		{"error", entry{kind: kindError, expiry: epoch, payload: "db down"}},
		{"before 1970", entry{kind: kindValue, expiry: time.UnixMilli(-5000)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.e.encode()
			if len(raw) != headerLen+len(tc.e.payload) {
				t.Fatalf("len(encode()) = %d; want %d", len(raw), headerLen+len(tc.e.payload))
			}
			got, err := decode(raw)
			if err != nil {
				t.Fatalf("decode(encode(%+v)) = %v", tc.e, err)
			}
			if got.kind != tc.e.kind || !got.expiry.Equal(tc.e.expiry) || got.delta != tc.e.delta || got.payload != tc.e.payload {
				t.Fatalf("decode(encode(%+v)) = %+v", tc.e, got)
			}
		})
	}
}

func TestEntryEncodingIsFixed(t *testing.T) {
	// The format is shared by every process on the Redis, so it must not
	// change by accident: this is version 1, byte for byte.
	e := entry{kind: kindNotFound, expiry: time.UnixMilli(0x0102030405), delta: 0x0a0b0c * time.Microsecond, payload: "v"}
	want := "RHS\x01\x01\x00\x00\x00\x01\x02\x03\x04\x05\x00\x0a\x0b\x0cv"
	if got := e.encode(); got != want {
		t.Fatalf("encode() = %q; want %q", got, want)
	}
}

func TestEntrySaturatesDelta(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 100 * time.Hour} {
		got, err := decode(entry{delta: d}.encode())
		if err != nil {
			t.Fatal(err)
		}
		if got.delta < 0 || got.delta > 72*time.Minute {
			t.Errorf("delta %v decodes as %v; want it clamped to [0, 71.6m]", d, got.delta)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good := entry{kind: kindValue, payload: "x"}.encode()
	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"short", good[:headerLen-1]},
		{"plain value", "just some value set by someone else"},
		{"other magic", "XYZ" + good[3:]},
		{"future version", good[:3] + "\x02" + good[4:]},
		{"unknown kind", good[:4] + "\x07" + good[5:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decode(tc.raw); !errors.Is(err, errFormat) {
				t.Fatalf("decode(%q) = %v; want errFormat", tc.raw, err)
			}
		})
	}
}

func TestEntryResult(t *testing.T) {
	if v, err := (entry{kind: kindValue, payload: "v"}).result(); v != "v" || err != nil {
		t.Errorf("value result = %q, %v; want v, nil", v, err)
	}
	if _, err := (entry{kind: kindNotFound}).result(); !errors.Is(err, ErrNotFound) {
		t.Errorf("not-found result = %v; want ErrNotFound", err)
	}
	_, err := (entry{kind: kindError, payload: "db down"}).result()
	if !errors.Is(err, ErrCachedError) || !strings.Contains(err.Error(), "db down") {
		t.Errorf("error result = %v; want ErrCachedError with the message", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(entry{kind: kindValue, payload: "x"}.encode())
	f.Add("RHS\x01")
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := decode(raw)
		if err != nil {
			return
		}
		if again := e.encode(); again != raw {
			t.Fatalf("encode(decode(%q)) = %q", raw, again)
		}
	})
}
