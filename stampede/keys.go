package stampede

import (
	"strconv"
	"strings"

	"github.com/redhot/redhot/internal/keyslot"
)

// Every cache key uses up to three Redis names, all in the key's Redis
// Cluster hash slot so that one script can touch them together:
//
//	value    the caller's key, unchanged
//	lease    "stampede:lease:" + T
//	channel  "stampede:fill:" + T   (pub/sub channel announcing a new value)
//
// where T is the key itself when it has a hash tag (a non-empty "{...}"
// part, as Redis Cluster defines it), "{" + key + "}" when it has none and
// contains no '}', and otherwise (a key such as "a}b" or the empty key,
// which no brace wrapping can reproduce) "{" + t + "}" + key for the
// shortest base-36 string t that hashes to the key's slot.
const (
	leasePrefix   = "stampede:lease:"
	channelPrefix = "stampede:fill:"
)

// names are the Redis names used for one cache key.
type names struct {
	value   string // the caller's key
	lease   string // the lease string key
	channel string // the pub/sub channel of fill notifications
}

// namesFor returns the names of key.
func namesFor(key string) names {
	t := tagged(key)
	return names{value: key, lease: leasePrefix + t, channel: channelPrefix + t}
}

// tagged returns a string in key's hash slot whose first '{' opens its hash
// tag, so that a prefix without braces keeps the slot.
func tagged(key string) string {
	if _, ok := keyslot.HashTag(key); ok {
		return key
	}
	if key != "" && !strings.Contains(key, "}") {
		return "{" + key + "}"
	}
	return "{" + slotTag(slot(key)) + "}" + key
}

// slot returns key's Redis Cluster hash slot.
func slot(key string) uint16 { return uint16(keyslot.Slot(key)) }

// slotTag returns the first base-36 numeral (0, 1, ..., z, 10, ...) in
// slot s. The search takes about 16384 CRC computations of up to four
// bytes on average; it runs only for keys that brace wrapping cannot tag.
func slotTag(s uint16) string {
	var buf [16]byte
	for i := uint64(0); ; i++ {
		b := strconv.AppendUint(buf[:0], i, 36)
		if keyslot.CRC16(string(b))%keyslot.NumSlots == s {
			return string(b)
		}
	}
}
