package workload

import (
	"fmt"
	"math"
	"strings"
)

// MaxKeys is the largest number of keys a Keyspace or generator may have.
const MaxKeys = 1 << 31

// Keyspace names key indices: it maps i in [0, Len()) to a key string built
// once, at construction, so that Key allocates nothing. All keys share one
// backing string, so a million keys "key:0" … "key:999999" take about
// 14 MB and ten million about 150 MB.
//
// A Keyspace is immutable and safe for concurrent use; several generators
// may share one.
type Keyspace struct {
	data string   // every key, concatenated
	off  []uint32 // key i is data[off[i]:off[i+1]]
}

// KeyspaceOptions configures NewKeyspace.
type KeyspaceOptions struct {
	// Prefix is written before each key's decimal index.
	// default: "key:"
	Prefix string

	// N is the number of keys, Prefix+"0" to Prefix+strconv.Itoa(N-1).
	// Required, in [1, MaxKeys].
	N int
}

// NewKeyspace builds the N keys Prefix+"0" … Prefix+"<N-1>".
func NewKeyspace(opts KeyspaceOptions) (*Keyspace, error) {
	if opts.Prefix == "" {
		opts.Prefix = "key:"
	}
	if opts.N < 1 || opts.N > MaxKeys {
		return nil, badOption("KeyspaceOptions.N", opts.N, fmt.Sprintf("must be in [1, %d]", MaxKeys))
	}
	// Count the bytes first so the backing string is allocated once.
	if len(opts.Prefix) > math.MaxUint32/opts.N {
		return nil, badOption("KeyspaceOptions.N", opts.N, "keys would take more than 4 GiB")
	}
	total := len(opts.Prefix)*opts.N + digitsUpTo(opts.N)
	if total > math.MaxUint32 {
		return nil, badOption("KeyspaceOptions.N", opts.N, "keys would take more than 4 GiB")
	}
	var b strings.Builder
	b.Grow(total)
	off := make([]uint32, opts.N+1)
	// num holds the decimal digits of i right-aligned; incrementing it in
	// place is cheaper than formatting each number.
	var num [20]byte
	first := len(num) - 1
	num[first] = '0'
	for i := range opts.N {
		off[i] = uint32(b.Len())
		b.WriteString(opts.Prefix)
		b.Write(num[first:])
		first = incrementDecimal(num[:], first)
	}
	off[opts.N] = uint32(b.Len())
	return &Keyspace{data: b.String(), off: off}, nil
}

// incrementDecimal adds one to the decimal number in num[first:] and
// returns its new first index, which moves left when a digit is added.
func incrementDecimal(num []byte, first int) int {
	for j := len(num) - 1; j >= first; j-- {
		if num[j] < '9' {
			num[j]++
			return first
		}
		num[j] = '0'
	}
	first--
	num[first] = '1'
	return first
}

// digitsUpTo returns the total number of decimal digits of 0, 1, …, n-1.
func digitsUpTo(n int) int {
	total := 0
	for d, lo := 1, 0; lo < n; d++ {
		hi := 10
		for range d - 1 {
			hi *= 10
		}
		total += d * (min(n, hi) - lo)
		lo = hi
	}
	return total
}

// NewKeyspaceOf builds a Keyspace whose key i is keys[i]. Keys must be
// distinct; any bytes are allowed. The slice is copied.
func NewKeyspaceOf(keys []string) (*Keyspace, error) {
	if len(keys) < 1 || len(keys) > MaxKeys {
		return nil, badOption("len(keys)", len(keys), fmt.Sprintf("must be in [1, %d]", MaxKeys))
	}
	total := 0
	seen := make(map[string]struct{}, len(keys))
	for i, k := range keys {
		if _, dup := seen[k]; dup {
			return nil, badOption(fmt.Sprintf("keys[%d]", i), k, "duplicate key")
		}
		seen[k] = struct{}{}
		total += len(k)
		if total > math.MaxUint32 {
			return nil, badOption("keys", len(keys), "keys take more than 4 GiB")
		}
	}
	var b strings.Builder
	b.Grow(total)
	off := make([]uint32, len(keys)+1)
	for i, k := range keys {
		off[i] = uint32(b.Len())
		b.WriteString(k)
	}
	off[len(keys)] = uint32(b.Len())
	return &Keyspace{data: b.String(), off: off}, nil
}

// Key returns key i. It allocates nothing and panics if i >= Len().
func (k *Keyspace) Key(i uint32) string {
	return k.data[k.off[i]:k.off[i+1]]
}

// Len returns the number of keys; 0 for a zero Keyspace.
func (k *Keyspace) Len() int {
	return max(len(k.off)-1, 0)
}
