package stampede

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The stored format, version 1: a 17-byte header (magic, version, kind,
// expiry, delta) and the payload, documented under "Storage format" in the
// package comment. TestEntryEncodingIsFixed pins it byte for byte.
const (
	formatMagic   = "RHS"
	formatVersion = 1
	headerLen     = 17
)

// kind is what an entry holds.
type kind uint8

const (
	kindValue    kind = 0 // a loader's value
	kindNotFound kind = 1 // the loader returned ErrNotFound
	kindError    kind = 2 // the loader failed; payload is the message
)

// entry is one decoded stored value.
type entry struct {
	kind    kind
	expiry  time.Time     // when the value stops being fresh (millisecond precision)
	delta   time.Duration // how long computing it took (microsecond precision)
	payload string
}

// errFormat is returned by decode for bytes that are not an entry.
var errFormat = errors.New("stampede: not a stampede entry")

// encode returns the stored form of e.
func (e entry) encode() string {
	b := make([]byte, headerLen+len(e.payload))
	copy(b, formatMagic)
	b[3] = formatVersion
	b[4] = byte(e.kind)
	binary.BigEndian.PutUint64(b[5:], uint64(e.expiry.UnixMilli()))
	us := e.delta.Microseconds()
	switch {
	case us < 0:
		us = 0
	case us > math.MaxUint32:
		us = math.MaxUint32
	}
	binary.BigEndian.PutUint32(b[13:], uint32(us))
	copy(b[headerLen:], e.payload)
	return string(b)
}

// decode parses a stored value. The payload shares raw's memory.
func decode(raw string) (entry, error) {
	if len(raw) < headerLen || raw[:3] != formatMagic {
		return entry{}, errFormat
	}
	if raw[3] != formatVersion {
		return entry{}, fmt.Errorf("%w: format version %d", errFormat, raw[3])
	}
	k := kind(raw[4])
	if k > kindError {
		return entry{}, fmt.Errorf("%w: kind %d", errFormat, k)
	}
	return entry{
		kind:    k,
		expiry:  time.UnixMilli(int64(bigEndian(raw[5:13]))),
		delta:   time.Duration(bigEndian(raw[13:17])) * time.Microsecond,
		payload: raw[headerLen:],
	}, nil
}

// fresh reports whether e has not expired at now.
func (e entry) fresh(now time.Time) bool { return now.Before(e.expiry) }

// result is what Fetch returns for e.
func (e entry) result() (string, error) {
	switch e.kind {
	case kindNotFound:
		return "", ErrNotFound
	case kindError:
		return "", fmt.Errorf("%w: %s", ErrCachedError, e.payload)
	}
	return e.payload, nil
}

// bigEndian reads an unsigned big-endian integer of up to 8 bytes.
func bigEndian(s string) uint64 {
	var v uint64
	for i := 0; i < len(s); i++ {
		v = v<<8 | uint64(s[i])
	}
	return v
}
