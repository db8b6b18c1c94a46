package fleet

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/redhot/redhot/heat"
)

// DefaultStream is Options.Stream's default.
const DefaultStream = "redhot:fleet"

// Options configure a Member. The zero value gives the documented
// defaults; Join does not modify the caller's Options.
type Options struct {
	// Stream is the key of the Redis Stream the fleet shares. Every
	// instance of the service must use the same one. In a Redis Cluster
	// the whole stream lives in the one slot of its key, on one primary:
	// every publish and every blocked reader of the fleet goes to that
	// node. Put a hash tag in the name ("{myapp}:redhot:fleet") to choose
	// the slot, for example to keep it apart from the hottest data.
	// default: DefaultStream ("redhot:fleet")
	Stream string

	// Instance identifies this instance in the fleet, 1 to 256 bytes of
	// any kind. Two running instances must not share one; an instance
	// that restarts with the same id simply continues.
	// default: host name, process id and 4 random bytes
	Instance string

	// Interval is how often the instance publishes its summary, and the
	// longest a reader blocks in XREAD before it checks for instances that
	// aged out. A key that turns hot fleet-wide is seen by every instance
	// within about Interval plus a round trip.
	// default: 250 milliseconds; at least 10 milliseconds, at most 1 minute
	Interval time.Duration

	// TTL is how long an instance's last summary counts. An instance that
	// stops publishing (crash, network partition, pause) drops out of the
	// fleet view TTL after its last summary; one that closes says so and
	// drops out at once. Ages never use another instance's clock: a
	// summary is as old as the time since it reached this member, plus
	// how much older its stream ID (assigned by the Redis server) is than
	// the newest entry read with it.
	// default: 3 × Interval; at least Interval
	TTL time.Duration

	// MaxLen caps the stream: each publish trims it with XADD MAXLEN ~
	// MaxLen. Redis trims whole macro nodes (stream-node-max-entries,
	// default 100), so the stream may hold up to that many more entries.
	// It should hold at least one TTL of summaries from every instance,
	// so a joining instance sees the whole fleet at once.
	// default: 1000; at least 1
	MaxLen int64

	// TopK is how many of the instance's hottest keys each summary lists.
	// A key that is warm everywhere but outside every instance's TopK is
	// not seen fleet-wide; KeyStat.High accounts for that uncertainty.
	// default: 64; at most 10,000
	TopK int

	// MinRate leaves keys whose local rate is below it out of summaries,
	// to keep them small.
	// default: 0 (the TopK keys, whatever their rates)
	MinRate float64

	// Rules decide which keys are hot fleet-wide; see Rules.
	Rules Rules

	// CacheStats, when set, is called before each publish and its result
	// travels with the summary, so that every member (and the dashboard)
	// sees each instance's near-cache counters: Instances and
	// CacheTotals. The redhot middleware's JoinFleet sets it to its near
	// cache's Stats. It runs on the publishing goroutine (or the caller of
	// Publish) and should return quickly.
	// default: none (summaries carry no near-cache figures)
	CacheStats func() CacheStats

	// Clock is the local time source, for ages and event times. When set,
	// the Member runs no goroutines: call Publish and Sync. Tests set it to
	// age instances without sleeping.
	// default: the system's monotonic clock, with a publishing goroutine
	// and a reading goroutine
	Clock heat.Clock

	// Logger receives a record for each failed publish or read, at most
	// one per second of each kind.
	// default: none (failures are counted in Stats only)
	Logger *slog.Logger
}

// Rules decide when a key is hot fleet-wide: when every enabled condition
// holds. A hot key cools when any of them fails by the CoolRatio margin
// after it has been hot for at least MinHot.
type Rules struct {
	// MinRate is the smallest fleet-wide rate, in accesses per second
	// summed over the live instances, of a hot key. Negative disables.
	// default: 50
	MinRate float64

	// MinShare is the smallest share of the fleet's traffic of a hot key,
	// in (0, 1]. Negative disables.
	// default: 0.01 (1%)
	MinShare float64

	// CoolRatio is the hysteresis, in (0, 1]: a hot key cools when its rate
	// falls below CoolRatio × MinRate or its share below CoolRatio ×
	// MinShare.
	// default: 0.5
	CoolRatio float64

	// MinHot is the shortest time a key stays hot once flagged.
	// default: 1 second
	MinHot time.Duration
}

// ErrInvalidOptions is returned by Join when an option is out of range;
// the wrapping error names the field.
var ErrInvalidOptions = errors.New("fleet: invalid options")

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any) (Options, error) {
		return o, fmt.Errorf("%w: Options.%s = %v", ErrInvalidOptions, field, v)
	}
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Instance == "" {
		o.Instance = defaultInstance()
	}
	if len(o.Instance) > maxInstance {
		return bad("Instance", strconv.Quote(o.Instance))
	}
	if o.Interval == 0 {
		o.Interval = 250 * time.Millisecond
	}
	if o.Interval < 10*time.Millisecond || o.Interval > time.Minute {
		return bad("Interval", o.Interval)
	}
	if o.TTL == 0 {
		o.TTL = 3 * o.Interval
	}
	if o.TTL < o.Interval {
		return bad("TTL", o.TTL)
	}
	if o.MaxLen == 0 {
		o.MaxLen = 1000
	}
	if o.MaxLen < 1 {
		return bad("MaxLen", o.MaxLen)
	}
	if o.TopK == 0 {
		o.TopK = 64
	}
	if o.TopK < 1 || o.TopK > maxKeys {
		return bad("TopK", o.TopK)
	}
	if math.IsNaN(o.MinRate) || math.IsInf(o.MinRate, 0) || o.MinRate < 0 {
		return bad("MinRate", o.MinRate)
	}
	r := &o.Rules
	if r.MinRate == 0 {
		r.MinRate = 50
	}
	if r.MinShare == 0 {
		r.MinShare = 0.01
	}
	if math.IsNaN(r.MinRate) || math.IsInf(r.MinRate, 0) {
		return bad("Rules.MinRate", r.MinRate)
	}
	if math.IsNaN(r.MinShare) || r.MinShare > 1 {
		return bad("Rules.MinShare", r.MinShare)
	}
	if r.MinRate < 0 && r.MinShare < 0 {
		return bad("Rules", "no condition enabled (MinRate and MinShare both disabled)")
	}
	if r.CoolRatio == 0 {
		r.CoolRatio = 0.5
	}
	if !(r.CoolRatio > 0 && r.CoolRatio <= 1) {
		return bad("Rules.CoolRatio", r.CoolRatio)
	}
	if r.MinHot == 0 {
		r.MinHot = time.Second
	}
	if r.MinHot < 0 {
		return bad("Rules.MinHot", r.MinHot)
	}
	return o, nil
}

// defaultInstance returns "host-pid-random".
func defaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "instance"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	if len(id) > maxInstance {
		id = id[len(id)-maxInstance:]
	}
	return id
}
