package fleet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redhot/redhot/heat"
)

// FormatVersion is the version of the stream entries this package writes
// (field "v"). Entries of any other version are skipped and counted in
// Stats.UnknownVersion, so instances running different releases share a
// stream without misreading each other; a release that changes the
// format writes a new version.
const FormatVersion = 1

// Limits on decoded entries, far above what any instance publishes
// (Options.TopK is at most maxKeys and heat keeps at most 64 KiB of a key);
// an entry beyond them is malformed.
const (
	maxKeys      = 10_000
	maxKeyBytes  = 1 << 16
	maxInstance  = 256
	maxMilliRate = 1e15 // a thousand billion accesses per second, in thousandths
)

// ErrMalformed is wrapped by the errors of entries that cannot be decoded.
var ErrMalformed = errors.New("fleet: malformed stream entry")

// errUnknownVersion is returned for entries of another format version.
var errUnknownVersion = errors.New("fleet: stream entry of an unknown format version")

// summary is one instance's heat at one moment: a stream entry.
type summary struct {
	instance string
	seq      uint64
	sentAt   time.Time // the sender's clock; informational only
	leaving  bool      // the instance is closing: drop it now
	totals   heat.Totals
	keys     []keyRate   // highest rate first
	cache    *CacheStats // the instance's near cache; nil if it reports none
}

// keyRate is one key of a summary.
type keyRate struct {
	key       string
	truncated bool
	rate      float64 // accesses per second
	writeRate float64 // the part of rate that writes
}

// Stream entry fields, version 1. The header fields are readable with
// XRANGE in redis-cli; the body is binary.
const (
	fieldVersion  = "v" // "1"
	fieldInstance = "i" // instance id, 1 to 256 bytes, any bytes
	fieldSeq      = "q" // decimal sequence number, from 1, per instance run
	fieldSent     = "t" // decimal Unix milliseconds of the sender's clock
	fieldBody     = "d" // binary body, see encodeBody
	// fieldCache is optional: readers that predate it ignore it, and an
	// entry without it reports no near cache. See encodeCache.
	fieldCache = "c"
)

// encodeSummary returns the field-value pairs of s's stream entry.
func encodeSummary(s *summary) []any {
	values := []any{
		fieldVersion, strconv.Itoa(FormatVersion),
		fieldInstance, s.instance,
		fieldSeq, strconv.FormatUint(s.seq, 10),
		fieldSent, strconv.FormatInt(s.sentAt.UnixMilli(), 10),
		fieldBody, string(encodeBody(s)),
	}
	if s.cache != nil {
		values = append(values, fieldCache, string(encodeCache(s.cache)))
	}
	return values
}

// entryBytes returns the size of an entry's fields and values.
func entryBytes(values []any) int {
	n := 0
	for _, v := range values {
		n += len(v.(string))
	}
	return n
}

// encodeBody encodes the body of a version 1 entry. Rates are unsigned
// varints of thousandths of an access per second; lengths are unsigned
// varints:
//
//	flags        1 byte: bit 0 leaving, other bits 0
//	total rate   uvarint
//	total writes uvarint (at most total rate)
//	key count    uvarint
//	then, per key, highest rate first:
//	  key length uvarint, key bytes (binary-safe)
//	  flags      1 byte: bit 0 truncated (the key is a prefix), other bits 0
//	  rate       uvarint
//	  writes     uvarint (at most rate)
func encodeBody(s *summary) []byte {
	n := 1 + 3*binary.MaxVarintLen64
	for _, k := range s.keys {
		n += binary.MaxVarintLen64 + len(k.key) + 1 + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	var flags byte
	if s.leaving {
		flags |= 1
	}
	b = append(b, flags)
	total := milli(s.totals.Rate)
	b = binary.AppendUvarint(b, total)
	b = binary.AppendUvarint(b, min(milli(s.totals.WriteRate), total))
	b = binary.AppendUvarint(b, uint64(len(s.keys)))
	for _, k := range s.keys {
		b = binary.AppendUvarint(b, uint64(len(k.key)))
		b = append(b, k.key...)
		var kf byte
		if k.truncated {
			kf |= 1
		}
		b = append(b, kf)
		r := milli(k.rate)
		b = binary.AppendUvarint(b, r)
		b = binary.AppendUvarint(b, min(milli(k.writeRate), r))
	}
	return b
}

// milli returns r in thousandths, rounded, clamped to [0, maxMilliRate].
func milli(r float64) uint64 {
	if !(r > 0) {
		return 0
	}
	return uint64(math.Round(min(r*1000, maxMilliRate)))
}

// decodeSummary decodes a stream entry's values. It returns
// errUnknownVersion for another format version and an error wrapping
// ErrMalformed for anything else it cannot read; it never panics.
func decodeSummary(values map[string]any) (summary, error) {
	var s summary
	field := func(name string) (string, error) {
		v, ok := values[name].(string)
		if !ok {
			return "", fmt.Errorf("%w: no field %q", ErrMalformed, name)
		}
		return v, nil
	}
	v, err := field(fieldVersion)
	if err != nil {
		return s, err
	}
	if v != strconv.Itoa(FormatVersion) {
		return s, fmt.Errorf("%w: %.16q", errUnknownVersion, v)
	}
	if s.instance, err = field(fieldInstance); err != nil {
		return s, err
	}
	if len(s.instance) == 0 || len(s.instance) > maxInstance {
		return s, fmt.Errorf("%w: instance id of %d bytes", ErrMalformed, len(s.instance))
	}
	q, err := field(fieldSeq)
	if err != nil {
		return s, err
	}
	if s.seq, err = strconv.ParseUint(q, 10, 64); err != nil || s.seq == 0 {
		return s, fmt.Errorf("%w: sequence number %.24q", ErrMalformed, q)
	}
	ts, err := field(fieldSent)
	if err != nil {
		return s, err
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return s, fmt.Errorf("%w: timestamp %.24q", ErrMalformed, ts)
	}
	s.sentAt = time.UnixMilli(ms)
	body, err := field(fieldBody)
	if err != nil {
		return s, err
	}
	if err := decodeBody(&s, body); err != nil {
		return s, err
	}
	if c, ok := values[fieldCache]; ok {
		cs, ok := c.(string)
		if !ok {
			return s, fmt.Errorf("%w: field %q is not a string", ErrMalformed, fieldCache)
		}
		if s.cache, err = decodeCache(cs); err != nil {
			return s, err
		}
	}
	return s, nil
}

// cacheFormat is the version of the near-cache field's encoding, its first
// byte. A reader skips the field (not the entry) when the byte is another
// version, so a later release may change the encoding without hiding its
// instances from this one.
const cacheFormat = 1

// maxMode bounds the length of a near-cache mode name.
const maxMode = 32

// encodeCache encodes the near-cache field of an entry (field "c"):
//
//	format        1 byte: 1
//	mode length   uvarint (at most 32), mode bytes ("tracking", "off", ...)
//	hits          uvarint
//	misses        uvarint
//	fills         uvarint
//	invalidations uvarint
//	entries       uvarint
//	bytes         uvarint
//
// Counters are the instance's totals since it started. A reader ignores
// bytes after these, so later releases may append counters within format
// 1.
func encodeCache(c *CacheStats) []byte {
	mode := c.Mode
	if len(mode) > maxMode {
		mode = mode[:maxMode]
	}
	b := make([]byte, 0, 2+len(mode)+6*binary.MaxVarintLen64)
	b = append(b, cacheFormat)
	b = binary.AppendUvarint(b, uint64(len(mode)))
	b = append(b, mode...)
	for _, n := range []uint64{c.Hits, c.Misses, c.Fills, c.Invalidations, c.Entries, c.Bytes} {
		b = binary.AppendUvarint(b, n)
	}
	return b
}

// decodeCache decodes a near-cache field. It returns nil, nil for a field
// of another format, and an error wrapping ErrMalformed for a format 1
// field it cannot read.
func decodeCache(b string) (*CacheStats, error) {
	d := decoder{b: b}
	if f := d.byte(); d.err != nil {
		return nil, fmt.Errorf("near-cache field: %w", d.err)
	} else if f != cacheFormat {
		return nil, nil
	}
	l := d.uvarint()
	if l > maxMode {
		d.fail("near-cache mode of %d bytes", l)
	}
	c := &CacheStats{Mode: d.bytes(l)}
	for _, p := range []*uint64{&c.Hits, &c.Misses, &c.Fills, &c.Invalidations, &c.Entries, &c.Bytes} {
		*p = d.uvarint()
	}
	if d.err != nil {
		return nil, fmt.Errorf("near-cache field: %w", d.err)
	}
	return c, nil
}

// decodeBody decodes a version 1 body into s (see encodeBody).
func decodeBody(s *summary, b string) error {
	d := decoder{b: b}
	flags := d.byte()
	if flags&^1 != 0 {
		d.fail("unknown flags %#x", flags)
	}
	s.leaving = flags&1 != 0
	total, writes := d.rate(), d.rate()
	if writes > total {
		d.fail("total writes above total rate")
	}
	s.totals = heat.Totals{Rate: total, WriteRate: writes, ReadRate: total - writes}
	n := d.uvarint()
	if n > maxKeys {
		d.fail("%d keys", n)
	}
	if d.err == nil && n > 0 {
		s.keys = make([]keyRate, 0, min(n, uint64(len(b))/4)) // each key takes at least 4 bytes
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		l := d.uvarint()
		if l > maxKeyBytes {
			d.fail("key of %d bytes", l)
		}
		key := d.bytes(l)
		kf := d.byte()
		if kf&^1 != 0 {
			d.fail("unknown key flags %#x", kf)
		}
		rate, wr := d.rate(), d.rate()
		if wr > rate {
			d.fail("key writes above its rate")
		}
		s.keys = append(s.keys, keyRate{key: key, truncated: kf&1 != 0, rate: rate, writeRate: wr})
	}
	if d.err == nil && d.i != len(b) {
		d.fail("%d trailing bytes", len(b)-d.i)
	}
	return d.err
}

// decoder reads a body; the first error sticks and later reads return
// zero values.
type decoder struct {
	b   string
	i   int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: body at byte %d: %s", ErrMalformed, d.i, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.i >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	c := d.b[d.i]
	d.i++
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	for shift := uint(0); ; shift += 7 {
		if d.i >= len(d.b) {
			d.fail("truncated")
			return 0
		}
		c := d.b[d.i]
		d.i++
		if shift == 63 && c > 1 {
			d.fail("varint overflows")
			return 0
		}
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x
		}
	}
}

func (d *decoder) bytes(n uint64) string {
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.i) {
		d.fail("truncated")
		return ""
	}
	s := d.b[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) rate() float64 {
	m := d.uvarint()
	if m > maxMilliRate {
		d.fail("rate out of range")
		return 0
	}
	return float64(m) / 1000
}
