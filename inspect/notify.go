package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
)

// NotifyOptions configure Notify.
type NotifyOptions struct {
	// Duration is how long to listen.
	// default: 10 seconds
	Duration time.Duration

	// Pattern selects the keys to listen to, as a glob.
	// default: "*"
	Pattern string

	// Top is how many keys to report.
	// default: 20
	Top int

	// AllowConfigChange lets Notify add "KA" to notify-keyspace-events
	// where it lacks keyspace events, restoring the old value on exit.
	// default: false (report ErrNotifyOff instead)
	AllowConfigChange bool

	// Progress, if set, is told the seconds elapsed.
	Progress Progress
}

// NotifyReport is the result of Notify.
type NotifyReport struct {
	Header
	// Channel is the channel pattern subscribed to on every primary.
	Channel string `json:"channel"`
	// Settings are notify-keyspace-events on each node during the run.
	Settings []NotifySetting `json:"settings"`
	// Events is the number of keyspace events received.
	Events int64 `json:"events"`
	// WriteRate is write events per second over all nodes (expired and
	// evicted events excluded).
	WriteRate float64 `json:"writes_per_sec"`
	// Keys are the keys with the most write events, highest rate first.
	Keys []NotifyKey `json:"keys"`
	// EventTypes counts events by type ("set", "hset", "expired", ...).
	EventTypes []NameCount `json:"event_types"`
}

// NotifySetting is notify-keyspace-events on one node.
type NotifySetting struct {
	Node string `json:"node"`
	// Value is the setting during the run; "" when it could not be read.
	Value string `json:"value"`
	// Switched reports that redhot changed it for the run.
	Switched bool `json:"switched"`
}

// NotifyKey is one key of a Notify report.
type NotifyKey struct {
	Rank int `json:"rank"`
	KeyRef
	Node string `json:"node"`
	// WriteRate is write events per second, exponentially weighted over
	// the duration.
	WriteRate float64 `json:"writes_per_sec"`
	// Share is the key's part of the node's write events.
	Share float64 `json:"share"`
	// Count is the number of events counted for the key in detail, split
	// by type in Events (bounded as in MonitorKey).
	Count  int64       `json:"count"`
	Events []NameCount `json:"events"`
}

// notifyClasses are the event classes of notify-keyspace-events; "A" is
// an alias for most of them.
const notifyClasses = "g$lshzxetdmnA"

// Notify subscribes to keyspace notifications (__keyspace@<db>__:pattern)
// on every primary for opts.Duration and reports the keys with the most
// write events. Notifications only report writes (and expirations and
// evictions): reads are invisible to them. It needs notify-keyspace-events
// to include K and some event classes; otherwise it returns an error of
// kind ErrNotifyOff, unless AllowConfigChange is set.
func Notify(ctx context.Context, t *Target, opts NotifyOptions) (*NotifyReport, error) {
	if opts.Duration == 0 {
		opts.Duration = 10 * time.Second
	}
	if opts.Pattern == "" {
		opts.Pattern = "*"
	}
	if opts.Top == 0 {
		opts.Top = 20
	}
	if opts.Duration < 0 || opts.Top < 0 {
		return nil, newError(ErrBadOptions, "", "notify options must not be negative")
	}
	if opts.Progress == nil {
		opts.Progress = noProgress{}
	}
	r := t.begin("notify")
	nodes := t.primaries()
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live primary to listen to")
	}
	r.use(nodes...)
	guard := &configGuard{r: r}
	defer guard.restore(ctx)
	channel := fmt.Sprintf("__keyspace@%d__:%s", t.DB(), opts.Pattern)
	rep := &NotifyReport{Channel: channel, Keys: []NotifyKey{}, EventTypes: []NameCount{}}

	settings := make([]NotifySetting, len(nodes))
	failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		i := indexOf(nodes, n)
		settings[i] = NotifySetting{Node: n.addr}
		v, err := configGet(ctx, n, "notify-keyspace-events")
		if err != nil {
			if isNoPerm(err) && !opts.AllowConfigChange {
				r.warn("%s: CONFIG GET is not permitted, so redhot cannot tell whether keyspace notifications are on; if no events arrive, they are probably off", n.addr)
				return nil
			}
			return err
		}
		settings[i].Value = v
		if strings.Contains(v, "K") && strings.ContainsAny(v, notifyClasses) {
			return nil
		}
		if !opts.AllowConfigChange {
			return newError(ErrNotifyOff, n.addr, "notify-keyspace-events is %q: the server publishes no keyspace events", v)
		}
		nv := v
		for _, c := range "KA" {
			if !strings.ContainsRune(nv, c) {
				nv += string(c)
			}
		}
		if err := guard.set(ctx, n, "notify-keyspace-events", v, nv); err != nil {
			return err
		}
		settings[i].Value, settings[i].Switched = nv, true
		return nil
	})
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	rep.Settings = settings
	for _, s := range settings {
		if s.Value != "" && !strings.Contains(s.Value, "A") && !strings.Contains(s.Value, "g$lshzxet") {
			r.note("%s: notify-keyspace-events is %q, so only those event classes are seen", s.Node, s.Value)
		}
	}
	r.note("cost: with keyspace events on, the server publishes one message per write to every subscriber; redhot only listens (it turns events on only with --allow-config-change) and is disconnected by the server if it falls too far behind (client-output-buffer-limit pubsub)")
	r.quietNote("keyspace notifications report writes, expirations and evictions only: reads are invisible to them; use redhot monitor or redhot hotkeys for read heat")

	runCtx, stop := context.WithTimeout(ctx, opts.Duration)
	defer stop()
	opts.Progress.Start("listening (seconds)", int64(opts.Duration/time.Second))
	ticker := startTicker(runCtx, opts.Progress)
	var (
		mu      sync.Mutex // guards results
		results []*notifyNode
	)
	failures = forEach(runCtx, nodes, func(ctx context.Context, n *node) error {
		if _, bad := r.failed[n]; bad {
			return nil
		}
		nn := &notifyNode{n: n, channel: channel, top: opts.Top, window: max(opts.Duration, time.Second)}
		mu.Lock()
		results = append(results, nn)
		mu.Unlock()
		return nn.run(ctx)
	})
	stop()
	ticker.Wait()
	opts.Progress.Done()
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	rep.collect(results, opts.Top)
	guard.restore(ctx)
	rep.Header = r.finish(ctx)
	return rep, nil
}

// notifyNode listens on one node.
type notifyNode struct {
	n       *node
	channel string
	top     int
	window  time.Duration

	// Set by run's goroutine, read after it returns.
	tr      *heat.Tracker
	details keyDetails
	events  map[string]int64
	total   int64
	keys    []heat.KeyStat
	totals  heat.Totals
}

func (nn *notifyNode) run(ctx context.Context) error {
	tr, err := heat.New(heat.Options{Capacity: max(1000, 8*nn.top), Window: nn.window, MaxKeyBytes: maxMonitorKeyBytes, Stripes: 1})
	if err != nil {
		return err
	}
	nn.tr = tr
	defer func() {
		nn.keys = tr.Top(nn.top)
		nn.totals = tr.Totals()
		tr.Close()
	}()
	nn.details = keyDetails{max: max(8192, 16*nn.top), m: map[string]*keyDetail{}}
	nn.events = map[string]int64{}
	ps := nn.n.client.PSubscribe(ctx, nn.channel)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return classify(nn.n.addr, "PSUBSCRIBE", err)
	}
	prefix := strings.TrimSuffix(nn.channel, "*")
	if i := strings.Index(nn.channel, "__:"); i >= 0 {
		prefix = nn.channel[:i+3]
	}
	for {
		msg, err := ps.ReceiveTimeout(ctx, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, redis.ErrClosed) {
				return nil
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return classify(nn.n.addr, "keyspace notifications", err)
		}
		m, ok := msg.(*redis.Message)
		if !ok {
			continue
		}
		key := strings.TrimPrefix(m.Channel, prefix)
		ev := m.Payload
		nn.total++
		if _, ok := nn.events[ev]; !ok && len(nn.events) >= 256 {
			ev = "(other)"
		}
		nn.events[ev]++
		nn.details.add(key, ev, "", true)
		if ev != "expired" && ev != "evicted" {
			tr.Observe(key, heat.Write)
		}
	}
}

func (rep *NotifyReport) collect(nodes []*notifyNode, top int) {
	events := map[string]int64{}
	var keys []NotifyKey
	for _, nn := range nodes {
		if nn.tr == nil {
			continue
		}
		rep.Events += nn.total
		rep.WriteRate += nn.totals.Rate
		for k, v := range nn.events {
			events[k] += v
		}
		for _, ks := range nn.keys {
			nk := NotifyKey{KeyRef: keyRef(ks.Key), Node: nn.n.addr, WriteRate: ks.Rate, Share: ks.Share, Events: []NameCount{}}
			if d := nn.details.m[ks.Key]; d != nil {
				nk.Count = d.count
				nk.Events = d.cmds.top()
			}
			keys = append(keys, nk)
		}
	}
	slices.SortStableFunc(keys, func(a, b NotifyKey) int {
		switch {
		case a.WriteRate > b.WriteRate:
			return -1
		case a.WriteRate < b.WriteRate:
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(keys) > top {
		keys = keys[:top]
	}
	for i := range keys {
		keys[i].Rank = i + 1
	}
	rep.Keys = keys
	rep.EventTypes = sortCounts(events)
}

// WriteTable implements Report.
func (rep *NotifyReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	writeTitle(w, h, "%s keyspace events on %s over %.1fs; %s writes/s (channel %s)",
		human(float64(rep.Events)), plural(usedNodes(h), "node", "nodes"), h.Seconds, human(rep.WriteRate), QuoteKey(rep.Channel))
	tb := newTable(w, "RANK", "KEY", "WRITES/S", "SHARE", "EVENTS", "NODE")
	for _, k := range rep.Keys {
		tb.row(strconv.Itoa(k.Rank), shortKey(k.Key), human(k.WriteRate), pct(k.Share), countsCell(k.Events, k.Count, 3), k.Node)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if len(rep.Keys) == 0 {
		fmt.Fprintln(w, "(no write events)")
	}
	fmt.Fprintln(w, "Keyspace notifications see writes, expirations and evictions only: reads are invisible here (use redhot monitor or hotkeys).")
	writeFooter(w, h)
	return nil
}
