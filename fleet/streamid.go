package fleet

import (
	"strconv"
	"strings"
)

// streamID is a Redis Stream entry ID: the server's clock in milliseconds
// when the entry was added, and a sequence number within that millisecond.
type streamID struct {
	ms, seq uint64
}

// parseID parses "ms-seq".
func parseID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return streamID{ms, seq}, err1 == nil && err2 == nil
}

func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

// less reports whether id comes before o in the stream.
func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}
