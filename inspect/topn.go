package inspect

import "slices"

// topN keeps the n items that rank highest, one per key: an item for a
// key already held replaces it if it ranks higher (SCAN may return a key
// twice). It is a min-heap on rank with an index by key. Not safe for
// concurrent use.
type topN[T any] struct {
	n     int
	less  func(a, b T) bool // a ranks below b
	key   func(T) string
	items []T
	pos   map[string]int
}

func newTopN[T any](n int, less func(a, b T) bool, key func(T) string) *topN[T] {
	return &topN[T]{n: n, less: less, key: key, pos: make(map[string]int, n)}
}

// offer considers x for the top n.
func (t *topN[T]) offer(x T) {
	if t.n <= 0 {
		return
	}
	k := t.key(x)
	if i, ok := t.pos[k]; ok {
		if t.less(t.items[i], x) {
			t.items[i] = x
			t.down(i)
		}
		return
	}
	if len(t.items) < t.n {
		t.items = append(t.items, x)
		t.pos[k] = len(t.items) - 1
		t.up(len(t.items) - 1)
		return
	}
	if !t.less(t.items[0], x) {
		return
	}
	delete(t.pos, t.key(t.items[0]))
	t.items[0] = x
	t.pos[k] = 0
	t.down(0)
}

// wouldTake reports whether offer(x) would change the top: it has room,
// x's key is held with a lower rank, or x outranks the lowest item.
func (t *topN[T]) wouldTake(x T) bool {
	if t.n <= 0 {
		return false
	}
	if i, ok := t.pos[t.key(x)]; ok {
		return t.less(t.items[i], x)
	}
	return len(t.items) < t.n || t.less(t.items[0], x)
}

// sorted returns the items, highest rank first.
func (t *topN[T]) sorted() []T {
	out := slices.Clone(t.items)
	slices.SortStableFunc(out, func(a, b T) int {
		switch {
		case t.less(b, a):
			return -1
		case t.less(a, b):
			return 1
		}
		return 0
	})
	return out
}

func (t *topN[T]) swap(i, j int) {
	t.items[i], t.items[j] = t.items[j], t.items[i]
	t.pos[t.key(t.items[i])] = i
	t.pos[t.key(t.items[j])] = j
}

func (t *topN[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(t.items[i], t.items[p]) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *topN[T]) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(t.items) {
			return
		}
		m := l
		if r := l + 1; r < len(t.items) && t.less(t.items[r], t.items[l]) {
			m = r
		}
		if !t.less(t.items[m], t.items[i]) {
			return
		}
		t.swap(i, m)
		i = m
	}
}

// mergeTop merges several sorted lists into the top n by less.
func mergeTop[T any](n int, less func(a, b T) bool, lists ...[]T) []T {
	var all []T
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b T) int {
		switch {
		case less(b, a):
			return -1
		case less(a, b):
			return 1
		}
		return 0
	})
	if len(all) > n {
		all = all[:n]
	}
	return all
}
