package nearcache

import (
	"strconv"
	"sync"
	"testing"
)

func TestIndex(t *testing.T) {
	ix := newIndex()
	n := &node{}
	put := func(key string) *entry {
		h := ix.hash(key)
		e := newEntry(key, h, &variant{id: idGet, val: Value{Kind: KindString, Str: key}, node: n})
		sh := ix.shard(h)
		sh.mu.Lock()
		sh.put(e)
		sh.mu.Unlock()
		return e
	}
	const count = 5000
	entries := map[string]*entry{}
	for i := range count {
		k := "key:" + strconv.Itoa(i)
		entries[k] = put(k)
	}
	if got := ix.len(); got != count {
		t.Fatalf("len = %d; want %d", got, count)
	}
	for k, e := range entries {
		if got := ix.get(ix.hash(k), k); got != e {
			t.Fatalf("get(%q) = %p; want %p", k, got, e)
		}
	}
	if ix.get(ix.hash("absent"), "absent") != nil {
		t.Error("get(absent) found something")
	}
	// Replacing keeps the count.
	e2 := put("key:7")
	if got := ix.get(ix.hash("key:7"), "key:7"); got != e2 || ix.len() != count {
		t.Errorf("after replacing key:7: get = %p (want %p), len %d", got, e2, ix.len())
	}
	// remove with a stale "only" does nothing; with the right one, removes.
	h := ix.hash("key:7")
	sh := ix.shard(h)
	sh.mu.Lock()
	if sh.remove(h, "key:7", entries["key:7"]) != nil {
		t.Error("remove with a stale entry removed the current one")
	}
	if sh.remove(h, "key:7", e2) != e2 {
		t.Error("remove with the current entry did not remove it")
	}
	sh.mu.Unlock()
	// removeIf drops every even key.
	for i := range ix.shards {
		sh := &ix.shards[i]
		sh.mu.Lock()
		sh.removeIf(func(e *entry) bool {
			n, _ := strconv.Atoi(e.key[4:])
			return n%2 == 0
		})
		sh.mu.Unlock()
	}
	for i := range count {
		k := "key:" + strconv.Itoa(i)
		got := ix.get(ix.hash(k), k) != nil
		if want := i%2 == 1 && i != 7; got != want {
			t.Fatalf("after removeIf, %s present = %v; want %v", k, got, want)
		}
	}
}

// TestIndexConcurrent reads while writers replace and remove entries; run
// with -race.
func TestIndexConcurrent(t *testing.T) {
	ix := newIndex()
	n := &node{}
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[(i*7+w)%len(keys)]
				h := ix.hash(k)
				sh := ix.shard(h)
				sh.mu.Lock()
				if i%3 == 0 {
					sh.remove(h, k, nil)
				} else {
					sh.put(newEntry(k, h, &variant{id: idGet, val: Value{Kind: KindString, Str: k}, node: n}))
				}
				sh.mu.Unlock()
			}
		})
	}
	for i := range 200000 {
		k := keys[i%len(keys)]
		if e := ix.get(ix.hash(k), k); e != nil && e.get.val.Str != k {
			t.Fatalf("get(%q) returned the entry of %q", k, e.key)
		}
	}
	close(stop)
	wg.Wait()
}

func TestVariantID(t *testing.T) {
	if VariantID("GET") != IDGet || VariantID("get") != IDGet {
		t.Error("VariantID(GET) is not IDGet")
	}
	a := VariantID("HMGET", "a\x00b")
	b := VariantID("hmget", "a", "b")
	if a == b {
		t.Errorf("VariantID(HMGET, %q) == VariantID(HMGET, a, b) = %q", "a\x00b", a)
	}
	if VariantID("LRANGE", "0", "-1") != VariantID("lrange", "0", "-1") {
		t.Error("VariantID depends on the command name's case")
	}
}
