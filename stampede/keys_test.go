package stampede

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhot/redhot/internal/keyslot"
	"github.com/redhot/redhot/internal/redistest"
)

// oddKeys are keys of every shape the hash-tag rules distinguish.
var oddKeys = []string{
	"plain",
	"user:{42}:profile", // hash tag 42
	"{}empty-tag",       // empty tag: the whole key is hashed
	"{a}{b}",            // only the first tag counts
	"open{only",         // '{' without '}'
	"close}only",        // '}' without '{': no brace wrapping works
	"}{x}",              // tag x after a stray '}'
	"a{}b{c}",           // empty first tag, '}' inside: the whole key
	"",                  // the empty key
	"\x00\xff binary",
	strings.Repeat("long", 100),
}

func TestNamesKeepSlot(t *testing.T) {
	for _, key := range oddKeys {
		n := namesFor(key)
		want := slot(key)
		for _, name := range []string{n.lease, n.channel} {
			if got := slot(name); got != want {
				t.Errorf("slot(%q) = %d; want %d, the slot of %q", name, got, want, key)
			}
		}
		if n.value != key {
			t.Errorf("namesFor(%q).value = %q; want the key itself", key, n.value)
		}
	}
	if n := namesFor("plain"); n.lease != "stampede:lease:{plain}" || n.channel != "stampede:fill:{plain}" {
		t.Errorf("namesFor(plain) = %+v; want the key wrapped in braces", n)
	}
	if n := namesFor("user:{42}:x"); n.lease != "stampede:lease:user:{42}:x" {
		t.Errorf("namesFor(user:{42}:x).lease = %q; want the key as it is", n.lease)
	}
}

func TestSlotTag(t *testing.T) {
	for s := uint16(0); s < keyslot.NumSlots; s += 97 {
		tag := slotTag(s)
		if strings.ContainsAny(tag, "{}") || slot(tag) != s {
			t.Fatalf("slotTag(%d) = %q, in slot %d", s, tag, slot(tag))
		}
	}
}

// TestCluster runs the cache on a Redis Cluster: every script touches a
// value key and a lease key together, which Redis refuses (CROSSSLOT)
// unless the derived names share the key's slot. CLUSTER KEYSLOT confirms
// the slots of the derived names.
func TestCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.NewCluster(t, redistest.ClusterOptions{})
	ctx := timeout(t, 20*time.Second)
	admin := cl.Client()
	for _, key := range oddKeys {
		n := namesFor(key)
		want, err := admin.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %q: %v", key, err)
		}
		for _, name := range []string{n.lease, n.channel} {
			got, err := admin.ClusterKeySlot(ctx, name).Result()
			if err != nil {
				t.Fatalf("CLUSTER KEYSLOT %q: %v", name, err)
			}
			if got != want || int64(slot(key)) != want {
				t.Errorf("slot of %q = %d, of key %q = %d (ours %d); want them equal", name, got, key, want, slot(key))
			}
		}
	}

	// Two processes' worth of caches share one fill per key.
	caches := []*Cache{
		newCache(t, cl.Client(), Options{LeaseTTL: time.Second}),
		newCache(t, cl.Client(), Options{LeaseTTL: time.Second}),
	}
	for _, key := range oddKeys {
		var calls atomic.Int64
		load := func(context.Context) ([]byte, error) {
			calls.Add(1)
			time.Sleep(20 * time.Millisecond)
			return []byte("v:" + key), nil
		}
		errs := make(chan error, 2*len(caches))
		for _, c := range caches {
			for range 2 {
				go func() {
					v, err := c.Fetch(ctx, key, time.Minute, load)
					if err == nil && string(v) != "v:"+key {
						err = fmt.Errorf("Fetch(%q) = %q", key, v)
					}
					errs <- err
				}()
			}
		}
		for range 2 * len(caches) {
			if err := <-errs; err != nil {
				t.Errorf("Fetch(%q): %v", key, err)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("key %q: %d loader calls; want 1", key, n)
		}
	}
}
