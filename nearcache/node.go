package nearcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode says how a node's entries are kept consistent.
type Mode uint8

const (
	// ModeConnecting: the node's connection is not up (yet, or again);
	// nothing of it is served.
	ModeConnecting Mode = iota
	// ModeTracking: RESP3 with CLIENT TRACKING on the fill connection,
	// whose replies and invalidations share one ordered stream. Staleness
	// bound: MaxStaleness.
	ModeTracking
	// ModeRedirect: the node does not speak RESP3; CLIENT TRACKING ON
	// REDIRECT sends invalidations to a second connection subscribed to
	// __redis__:invalidate, and fills that raced with an invalidation are
	// not published. Staleness bound: MaxStaleness.
	ModeRedirect
	// ModeTTLOnly: the node refuses CLIENT TRACKING and Options.AllowTTLOnly
	// is set; entries live at most TTLOnly. Staleness bound: TTLOnly.
	ModeTTLOnly
	// ModeOff: the node refuses CLIENT TRACKING and TTL-only caching was
	// not allowed; nothing of it is cached.
	ModeOff
)

// String returns the mode's name as Stats and logs show it.
func (m Mode) String() string {
	switch m {
	case ModeConnecting:
		return "connecting"
	case ModeTracking:
		return "tracking"
	case ModeRedirect:
		return "redirect"
	case ModeTTLOnly:
		return "ttl-only"
	case ModeOff:
		return "off"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText makes modes readable in JSON.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// FlushReason says why all entries of a node (or of the cache) were dropped
// at once.
type FlushReason uint8

const (
	// FlushConnLost: the connection that carries the node's invalidations
	// closed (killed, server restarted, network error).
	FlushConnLost FlushReason = iota
	// FlushStale: a request on that connection waited longer than
	// MaxStaleness (a paused or overloaded server); the connection is
	// closed and opened again.
	FlushStale
	// FlushServer: the server invalidated everything (FLUSHALL, FLUSHDB,
	// or a null invalidation for another reason).
	FlushServer
	// FlushRole: the node's role changed (failover).
	FlushRole
	// FlushSlots: the hash slots the node owns changed, or it answered a
	// read with MOVED or ASK.
	FlushSlots
	// FlushWrite: a command that may change any key went through the
	// client (FLUSHALL, a script without declared keys, an unknown
	// command).
	FlushWrite
	numFlushReasons
)

// String returns the reason's name.
func (r FlushReason) String() string {
	switch r {
	case FlushConnLost:
		return "connection-lost"
	case FlushStale:
		return "stale"
	case FlushServer:
		return "server-flush"
	case FlushRole:
		return "role-change"
	case FlushSlots:
		return "slots-moved"
	case FlushWrite:
		return "write"
	}
	return "FlushReason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText makes reasons usable as JSON object keys.
func (r FlushReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// errTrackingRefused is wrapped by the handshake's error when the server
// refuses CLIENT TRACKING.
var errTrackingRefused = errors.New("CLIENT TRACKING refused")

// Backoff between connection attempts to a node.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// node is the cache's view of one Redis node: its connections, its mode,
// and the two values every hit checks.
type node struct {
	c   *Cache
	cfg NodeConfig
	log *slog.Logger

	// token is bumped by every flush of the node; an entry is served only
	// while the token it was filled under is current.
	token atomic.Uint64
	// deadline is the cache-clock time until which the node's entries may
	// be served: the send time of the last request whose reply proved the
	// invalidation stream complete, plus MaxStaleness.
	deadline atomic.Int64

	// lastMoved is the real-clock time of the last flush for a MOVED or
	// ASK reply (see slotsMoved).
	lastMoved atomic.Int64

	// refreshing is the number of refreshes in flight (see
	// Options.MaxRefreshes).
	refreshing atomic.Int64

	// mu guards sess, mode and connected.
	mu        sync.Mutex
	sess      *session // nil while not connected
	mode      Mode
	connected bool // a session has started once
}

// session is one connected life of a node.
type session struct {
	mode Mode
	fill *conn // fills and, unless redirect, invalidations
	sub  *conn // redirect mode: the invalidation subscriber
	hb   *conn // the connection whose replies prove the stream complete

	// Fixed at the handshake, then owned by the heartbeat's finish.
	roleCmd []string // ROLE, or PING where ROLE is refused
	role    string   // "master", "slave", or "" if unknown
	myID    string   // cluster node ID, "" if unknown
	slots   string   // owned slot ranges at the last check
}

func (c *Cache) newNode(cfg NodeConfig) *node {
	return &node{c: c, cfg: cfg, log: c.opts.Logger.With("node", cfg.Addr)}
}

// session returns the node's session and mode.
func (n *node) session() (*session, Mode) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sess, n.mode
}

// flush drops every entry of the node, for reason.
func (n *node) flush(reason FlushReason) {
	n.token.Add(1)
	n.c.flushes[reason].Add(1)
	if s, _ := n.session(); s != nil {
		s.fill.killAll()
	}
	n.c.sweep()
}

// movedEvery is the least time between two flushes of a node for MOVED or
// ASK replies.
const movedEvery = 50 * time.Millisecond

// slotsMoved flushes the node because it answered MOVED or ASK: a slot it
// owned is moving or has moved. While a slot migrates every command on
// one of its keys may be answered so, and one flush is enough: after it,
// a fill of a key the node no longer has is answered with MOVED or ASK
// and not published, and a key the node still has is tracked there until
// MIGRATE deletes it, which invalidates it. A later move of another slot
// inside the same window is caught by the heartbeat's CLUSTER SLOTS.
func (n *node) slotsMoved() {
	now := n.c.realNow()
	last := n.lastMoved.Load()
	if now-last < int64(movedEvery) || !n.lastMoved.CompareAndSwap(last, now) {
		return
	}
	n.flush(FlushSlots)
}

// ack records that the node's invalidation stream was complete as of
// sentAt (real clock): entries may be served until sentAt + MaxStaleness.
func (n *node) ack(sentAt int64) {
	d := sentAt + int64(n.c.opts.MaxStaleness) - n.c.margin
	for {
		old := n.deadline.Load()
		if d <= old || n.deadline.CompareAndSwap(old, d) {
			return
		}
	}
}

// run connects, serves and reconnects until the cache closes, or until the
// node turns out to refuse tracking when TTL-only caching is not allowed.
func (n *node) run() {
	backoff := minBackoff
	failing := false
	for {
		s, err := n.connect()
		if err == nil {
			if failing {
				n.log.Info("redhot: near cache reconnected", "mode", s.mode)
			}
			failing = false
			backoff = minBackoff
			n.serve(s)
			continue
		}
		select {
		case <-n.c.stop:
			return
		default:
		}
		if errors.Is(err, errTrackingRefused) {
			n.mu.Lock()
			n.mode = ModeOff
			n.mu.Unlock()
			n.log.Warn("redhot: near cache off for this node: the server refuses CLIENT TRACKING; set AllowTTLOnly to cache with a TTL bound instead", "err", err)
			return
		}
		if !failing {
			n.log.Warn("redhot: near cache cannot connect; retrying with backoff", "err", err)
			failing = true
		}
		t := time.NewTimer(backoff)
		select {
		case <-n.c.stop:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// dialConn dials the node and returns a connection with a read buffer.
func (n *node) dialConn(ctx context.Context) (*conn, error) {
	nc, err := n.cfg.Dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", n.cfg.Addr, err)
	}
	return newConn(nc, n.c.opts.DialTimeout), nil
}

// connect opens the node's connections and negotiates the mode.
func (n *node) connect() (*session, error) {
	ctx, cancel := context.WithTimeout(n.c.ctx, n.c.opts.DialTimeout)
	defer cancel()
	user, pass := "", ""
	if n.cfg.Auth != nil {
		var err error
		if user, pass, err = n.cfg.Auth(ctx); err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", n.cfg.Addr, err)
		}
	}
	fill, err := n.dialConn(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{fill: fill}
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()

	resp3, err := n.hello(ctx, fill, user, pass)
	if err != nil {
		return nil, err
	}
	if err := n.setup(ctx, fill, resp3, pass != "", user, pass); err != nil {
		return nil, err
	}
	// The fill connection carries nothing but fills and heartbeats (which
	// name no key), so tracking every read on it tracks exactly the keys
	// the cache fills: what OPTIN achieves, without a CLIENT CACHING YES
	// before every fill, a third of a fill's commands.
	trackCmd := []string{"CLIENT", "TRACKING", "ON"}
	if !resp3 {
		// Invalidations go to a subscriber on a second connection.
		sub, err := n.dialConn(ctx)
		if err != nil {
			return nil, err
		}
		s.sub = sub
		sub.isPush = isPush2
		if err := n.setup(ctx, sub, false, pass != "", user, pass); err != nil {
			return nil, err
		}
		id, err := sub.roundTrip(ctx, "CLIENT", "ID")
		if err != nil {
			return nil, fmt.Errorf("CLIENT ID on %s: %w", n.cfg.Addr, err)
		}
		if id.Kind != KindInt {
			return nil, fmt.Errorf("CLIENT ID on %s: %w", n.cfg.Addr, replyErr(id))
		}
		v, err := sub.roundTrip(ctx, "SUBSCRIBE", "__redis__:invalidate")
		if err != nil || v.Kind == KindError {
			return nil, fmt.Errorf("SUBSCRIBE __redis__:invalidate on %s: %w", n.cfg.Addr, cmp(err, replyErr(v)))
		}
		trackCmd = []string{"CLIENT", "TRACKING", "ON", "REDIRECT", strconv.FormatInt(id.Int, 10)}
	}
	v, err := fill.roundTrip(ctx, trackCmd...)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", strings.Join(trackCmd, " "), n.cfg.Addr, err)
	}
	switch {
	case v.Kind != KindError && resp3:
		s.mode = ModeTracking
	case v.Kind != KindError:
		s.mode = ModeRedirect
	case n.c.opts.AllowTTLOnly:
		s.mode = ModeTTLOnly
		if s.sub != nil {
			s.sub.nc.Close()
			s.sub = nil
		}
		n.log.Warn("redhot: the server refuses CLIENT TRACKING; near cache in TTL-only mode", "ttl", n.c.opts.TTLOnly, "err", v.Str)
	default:
		return nil, fmt.Errorf("%s on %s: %w: %s", strings.Join(trackCmd, " "), n.cfg.Addr, errTrackingRefused, v.Str)
	}

	// The heartbeat: ROLE tells a failover, PING proves the stream
	// where ROLE is not allowed.
	s.roleCmd = []string{"ROLE"}
	if v, err := fill.roundTrip(ctx, "ROLE"); err != nil {
		return nil, fmt.Errorf("ROLE on %s: %w", n.cfg.Addr, err)
	} else if v.Kind == KindError {
		s.roleCmd = []string{"PING"}
	} else {
		s.role = roleOf(&v)
	}
	if n.c.opts.Cluster {
		if v, err := fill.roundTrip(ctx, "CLUSTER", "MYID"); err != nil {
			return nil, fmt.Errorf("CLUSTER MYID on %s: %w", n.cfg.Addr, err)
		} else if v.Kind == KindString {
			s.myID = v.Str
		} else {
			n.log.Warn("redhot: CLUSTER MYID refused; slot moves are seen only through MOVED replies", "err", v.Str)
		}
		if s.myID != "" {
			v, err := fill.roundTrip(ctx, "CLUSTER", "SLOTS")
			if err != nil {
				return nil, fmt.Errorf("CLUSTER SLOTS on %s: %w", n.cfg.Addr, err)
			}
			s.slots = ownedSlots(&v, s.myID)
		}
	}
	ok = true
	return s, nil
}

// cmp returns err if it is not nil, else alt.
func cmp(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// replyErr turns an unexpected reply into an error.
func replyErr(v Value) error {
	if v.Kind == KindError {
		return ReplyError(v.Str)
	}
	return fmt.Errorf("unexpected %s reply", v.Kind)
}

// hello tries HELLO 3 and reports whether the connection speaks RESP3. A
// server (or proxy) that does not know HELLO, or refuses protocol 3, is
// spoken to in RESP2; a refused password is an error.
func (n *node) hello(ctx context.Context, c *conn, user, pass string) (bool, error) {
	args := []string{"HELLO", "3"}
	if pass != "" {
		if user == "" {
			user = "default"
		}
		args = append(args, "AUTH", user, pass)
	}
	args = append(args, "SETNAME", n.c.opts.ClientName)
	v, err := c.roundTrip(ctx, args...)
	if err != nil {
		return false, fmt.Errorf("HELLO on %s: %w", n.cfg.Addr, err)
	}
	if v.Kind != KindError {
		c.isPush = isPush3
		return true, nil
	}
	// In RESP2 a reply cannot be told from a pub/sub message by its type;
	// the fill connection subscribes to nothing, so nothing on it is one.
	c.isPush = isNeverPush
	if isAuthError(v.Str) {
		return false, fmt.Errorf("HELLO on %s: %w", n.cfg.Addr, ReplyError(v.Str))
	}
	n.log.Info("redhot: the server does not speak RESP3; near cache uses CLIENT TRACKING REDIRECT", "err", v.Str)
	return false, nil
}

func isAuthError(msg string) bool {
	for _, p := range []string{"WRONGPASS", "NOAUTH", "NOPERM", "ERR invalid password", "ERR AUTH"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// setup authenticates a RESP2 connection (RESP3 ones authenticate in
// HELLO), names it and selects the database.
func (n *node) setup(ctx context.Context, c *conn, resp3, auth bool, user, pass string) error {
	var cmds [][]string
	if !resp3 {
		if auth {
			if user != "" {
				cmds = append(cmds, []string{"AUTH", user, pass})
			} else {
				cmds = append(cmds, []string{"AUTH", pass})
			}
		}
		cmds = append(cmds, []string{"CLIENT", "SETNAME", n.c.opts.ClientName})
	}
	if n.cfg.DB != 0 {
		cmds = append(cmds, []string{"SELECT", strconv.Itoa(n.cfg.DB)})
	}
	for _, cmd := range cmds {
		v, err := c.roundTrip(ctx, cmd...)
		if err == nil && v.Kind == KindError {
			err = ReplyError(v.Str)
		}
		if err != nil {
			return fmt.Errorf("%s on %s: %w", cmd[0], n.cfg.Addr, err)
		}
	}
	return nil
}

func isPush3(v *Value) bool { return v.Kind == KindPush }

func isNeverPush(*Value) bool { return false }

// isPush2 tells a pub/sub message from a reply on a RESP2 subscriber.
func isPush2(v *Value) bool {
	return v.Kind == KindArray && len(v.Elems) == 3 && v.Elems[0].Kind == KindString && v.Elems[0].Str == "message"
}

// serve runs one session: it starts the readers, sends heartbeats and
// watches for a stale or failed connection. It returns when the session
// is over, after flushing the node.
func (n *node) serve(s *session) {
	c := n.c
	s.hb = s.fill
	s.fill.onPush = func(v *Value) { n.onInvalidate(v, s, false) }
	if s.sub != nil {
		s.hb = s.sub
		s.sub.onPush = func(v *Value) { n.onInvalidate(v, s, true) }
		s.sub.start()
	}
	s.fill.start()

	switch s.mode {
	case ModeTTLOnly:
		n.deadline.Store(math.MaxInt64)
	default:
		// Nothing is cached yet; the first heartbeat reply or fill reply
		// opens the way.
		n.deadline.Store(0)
	}
	n.mu.Lock()
	n.sess, n.mode = s, s.mode
	first := !n.connected
	n.connected = true
	n.mu.Unlock()
	if first {
		n.log.Info("redhot: near cache connected", "mode", s.mode, "staleness_bound", n.c.boundOf(s.mode))
	}

	interval := c.opts.MaxStaleness / 4
	tick := time.NewTicker(interval)
	defer tick.Stop()
	reason := FlushConnLost
	n.heartbeat(s)
loop:
	for {
		var subDone <-chan struct{}
		if s.sub != nil {
			subDone = s.sub.done
		}
		select {
		case <-c.stop:
			reason = FlushConnLost
			break loop
		case <-s.fill.done:
			break loop
		case <-subDone:
			break loop
		case <-tick.C:
			if t0, ok := s.hb.oldest(); ok && c.realNow()-t0 > int64(c.opts.MaxStaleness) {
				reason = FlushStale
				n.log.Warn("redhot: near cache connection stalled; reconnecting", "waited", time.Duration(c.realNow()-t0))
				break loop
			}
			if s.hb != s.fill {
				if t0, ok := s.fill.oldest(); ok && c.realNow()-t0 > int64(c.opts.MaxStaleness) {
					reason = FlushStale
					break loop
				}
			}
			n.heartbeat(s)
		}
	}
	n.mu.Lock()
	n.sess = nil
	if n.mode != ModeOff {
		n.mode = ModeConnecting
	}
	n.mu.Unlock()
	n.deadline.Store(0)
	s.closeAll()
	if err := s.fill.failed(); reason == FlushConnLost && err != nil && !errors.Is(err, errConnClosed) {
		n.log.Warn("redhot: near cache connection lost; entries of the node dropped", "err", err)
	}
	n.flush(reason)
}

// closeAll closes the session's connections and waits for their readers.
func (s *session) closeAll() {
	for _, c := range []*conn{s.fill, s.sub} {
		if c == nil {
			continue
		}
		if c.started() {
			c.close()
		} else {
			_ = c.nc.Close()
		}
	}
}

// heartbeat sends the requests whose replies prove the invalidation stream
// complete (on the stream's connection) and check the node's role and
// slots (on the fill connection).
func (n *node) heartbeat(s *session) {
	c := n.c
	check := [][]string{s.roleCmd}
	if s.myID != "" {
		check = append(check, []string{"CLUSTER", "SLOTS"})
	}
	if s.hb != s.fill {
		ping := newOp(func(o *op) { n.ack(o.sentAt) }, []string{"PING"})
		ping.sentAt = c.realNow()
		_ = s.sub.send(ping)
	}
	o := newOp(func(o *op) { n.checked(s, o) }, check...)
	o.sentAt = c.realNow()
	_ = s.fill.send(o)
}

// checked handles the reply to a heartbeat on the fill connection. It runs
// on the fill connection's reader goroutine.
func (n *node) checked(s *session, o *op) {
	if s.roleCmd[0] == "ROLE" {
		if role := roleOf(&o.replies[0]); role != s.role {
			n.log.Warn("redhot: node changed role; entries dropped, reconnecting", "was", s.role, "now", role)
			s.role = role
			n.flush(FlushRole)
			// Reconnect, so that a dialer that follows the primary (a
			// Sentinel failover client) reaches the new one.
			s.fill.fail(errors.New("nearcache: role changed"))
			return
		}
	}
	if s.myID != "" && len(o.replies) > 1 && o.replies[1].Kind != KindError {
		if slots := ownedSlots(&o.replies[1], s.myID); slots != s.slots {
			n.log.Info("redhot: node's hash slots changed; entries dropped", "was", s.slots, "now", slots)
			s.slots = slots
			n.flush(FlushSlots)
		}
	}
	if s.hb == s.fill && s.mode == ModeTracking {
		n.ack(o.sentAt)
	}
}

// onInvalidate handles an invalidation message: the keys, or null for
// everything. It runs on the reader goroutine of the connection that
// carries them, in order with that connection's replies.
func (n *node) onInvalidate(v *Value, s *session, redirect bool) {
	var kind, payload *Value
	switch {
	case redirect && len(v.Elems) == 3: // message, channel, payload
		kind, payload = &v.Elems[1], &v.Elems[2]
		if kind.Str != "__redis__:invalidate" {
			return
		}
	case !redirect && len(v.Elems) == 2: // invalidate, payload
		kind, payload = &v.Elems[0], &v.Elems[1]
		if kind.Str != "invalidate" {
			return
		}
	default:
		return
	}
	if payload.Kind == KindNull {
		n.flush(FlushServer)
		return
	}
	var due []*again
	for i := range payload.Elems {
		k := &payload.Elems[i]
		if k.Kind != KindString {
			continue
		}
		if !redirect {
			s.fill.kill(k.Str)
		}
		if a := n.c.invalidate(k.Str, redirect); a != nil {
			due = append(due, a)
		}
	}
	n.c.refresh(due)
}

// roleOf returns the role in a ROLE reply: "master", "slave", "sentinel".
func roleOf(v *Value) string {
	if v.Kind == KindArray && len(v.Elems) > 0 && v.Elems[0].Kind == KindString {
		return v.Elems[0].Str
	}
	return ""
}

// ownedSlots returns the slot ranges that CLUSTER SLOTS assigns to the
// primary id, as "start-end,start-end" in slot order.
func ownedSlots(v *Value, id string) string {
	var ranges [][2]int64
	for i := range v.Elems {
		r := &v.Elems[i]
		if r.Kind != KindArray || len(r.Elems) < 3 || r.Elems[2].Kind != KindArray {
			continue
		}
		primary := &r.Elems[2]
		if len(primary.Elems) < 3 || primary.Elems[2].Str != id {
			continue
		}
		ranges = append(ranges, [2]int64{r.Elems[0].Int, r.Elems[1].Int})
	}
	slices.SortFunc(ranges, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var b strings.Builder
	for i, r := range ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d-%d", r[0], r[1])
	}
	return b.String()
}
