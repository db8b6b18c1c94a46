package dashboard

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
)

// SchemaVersion is the version of the dashboard's JSON documents
// (docs/dashboard.md). Within a version fields are only added.
const SchemaVersion = 1

// document is the JSON of /api/v1/snapshot and of each /api/v1/stream
// event; docs/dashboard.md describes every field.
type document struct {
	SchemaVersion   int           `json:"schema_version"`
	Seq             uint64        `json:"seq"`
	At              time.Time     `json:"at"`
	IntervalSeconds num           `json:"interval_seconds"`
	Title           string        `json:"title"`
	Source          string        `json:"source"`
	Totals          totalsJSON    `json:"totals"`
	HotKeys         int           `json:"hot_keys"`
	Keys            []keyJSON     `json:"keys"`
	HistoryTimes    []int64       `json:"history_times,omitempty"`
	HistoryFloor    num           `json:"history_floor"`
	Events          []eventJSON   `json:"events"`
	Nodes           *nodesJSON    `json:"nodes"`
	Fleet           *fleetJSON    `json:"fleet"`
	NearCache       nearCacheJSON `json:"near_cache"`
}

type totalsJSON struct {
	Rate      num `json:"rate"`
	ReadRate  num `json:"read_rate"`
	WriteRate num `json:"write_rate"`
}

type keyJSON struct {
	Rank      int        `json:"rank"`
	Key       string     `json:"key"`
	KeyBase64 string     `json:"key_base64,omitempty"`
	Truncated bool       `json:"truncated"`
	Rate      num        `json:"rate"`
	Low       num        `json:"rate_low"`
	High      num        `json:"rate_high"`
	ReadRate  num        `json:"read_rate"`
	WriteRate num        `json:"write_rate"`
	Share     num        `json:"share"`
	Hot       bool       `json:"hot"`
	HotSince  *time.Time `json:"hot_since"`
	CooledAt  *time.Time `json:"cooled_at"`
	Trend     string     `json:"trend"`
	History   []num      `json:"history,omitempty"`
}

type eventJSON struct {
	Kind          string    `json:"kind"`
	Key           string    `json:"key"`
	KeyBase64     string    `json:"key_base64,omitempty"`
	Truncated     bool      `json:"truncated"`
	Rate          num       `json:"rate"`
	Share         num       `json:"share"`
	At            time.Time `json:"at"`
	HotForSeconds *num      `json:"hot_for_seconds"`
}

type nodesJSON struct {
	At              *time.Time         `json:"at"`
	IntervalSeconds num                `json:"interval_seconds"`
	Nodes           []inspect.NodeLoad `json:"nodes"`
	Imbalances      []string           `json:"imbalances"`
	Warnings        []string           `json:"warnings"`
	Error           string             `json:"error,omitempty"`
}

type fleetJSON struct {
	Stream    string         `json:"stream"`
	Instance  string         `json:"instance"`
	Instances []instanceJSON `json:"instances"`
	Stats     fleetStatsJSON `json:"stats"`

	cache nearCacheJSON // the instances' near caches, for the near_cache panel
}

type instanceJSON struct {
	ID                 string    `json:"id"`
	Self               bool      `json:"self"`
	Seq                uint64    `json:"seq"`
	AgeSeconds         num       `json:"age_seconds"`
	SentAt             time.Time `json:"sent_at"`
	ClockOffsetSeconds num       `json:"clock_offset_seconds"`
	Rate               num       `json:"rate"`
	ReadRate           num       `json:"read_rate"`
	WriteRate          num       `json:"write_rate"`
	Keys               int       `json:"keys"`
	// NearCache is the instance's near-cache counters; null when its
	// summaries carry none.
	NearCache *cacheJSON `json:"near_cache"`
}

// cacheJSON is one instance's near-cache counters, or their sum.
type cacheJSON struct {
	Mode          string `json:"mode,omitempty"`
	Hits          uint64 `json:"hits"`
	Misses        uint64 `json:"misses"`
	HitRatio      num    `json:"hit_ratio"`
	Fills         uint64 `json:"fills"`
	Invalidations uint64 `json:"invalidations"`
	Entries       uint64 `json:"entries"`
	Bytes         uint64 `json:"bytes"`
}

func newCacheJSON(c *fleet.CacheStats) *cacheJSON {
	cj := &cacheJSON{Mode: c.Mode, Hits: c.Hits, Misses: c.Misses, Fills: c.Fills,
		Invalidations: c.Invalidations, Entries: c.Entries, Bytes: c.Bytes}
	cj.ratio()
	return cj
}

// ratio sets HitRatio from Hits and Misses.
func (c *cacheJSON) ratio() {
	if n := c.Hits + c.Misses; n > 0 {
		c.HitRatio = num(float64(c.Hits) / float64(n))
	}
}

type fleetStatsJSON struct {
	Received       uint64 `json:"summaries_received"`
	Malformed      uint64 `json:"malformed"`
	UnknownVersion uint64 `json:"unknown_version"`
	Stale          uint64 `json:"stale"`
	Gaps           uint64 `json:"gaps"`
	ReadErrors     uint64 `json:"read_errors"`
	Joined         uint64 `json:"joined"`
	Left           uint64 `json:"left"`
	Expired        uint64 `json:"expired"`
	Hot            int    `json:"hot"`
	Events         uint64 `json:"events"`
	DroppedEvents  uint64 `json:"dropped_events"`
}

type nearCacheJSON struct {
	// Available reports that at least one live instance reports its near
	// cache; Reason says why not otherwise.
	Available bool   `json:"available"`
	Reason    string `json:"reason"`
	// FleetHotKeys is the number of keys hot fleet-wide: the keys every
	// instance's near cache may serve through the fleet hot set.
	FleetHotKeys *int `json:"fleet_hot_keys"`
	// Instances is how many live instances report a near cache; Total
	// sums their counters (null when none does); Modes counts them by
	// their cache's mode.
	Instances int            `json:"instances"`
	Total     *cacheJSON     `json:"total"`
	Modes     map[string]int `json:"modes"`
}

// Why the dashboard shows no near-cache figures.
const (
	noNearCache = "the source is not a fleet: near-cache counters travel in the fleet's summaries"
	noReporter  = "no live instance reports its near cache: instances report it when they join the fleet " +
		"through the redhot middleware (Middleware.JoinFleet)"
)

// num is a float that JSON shows with at most four decimals, and 0 for
// NaN and infinities (which JSON cannot carry).
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return strconv.AppendFloat(nil, math.Round(f*1e4)/1e4, 'f', -1, 64), nil
}

// keyFields returns a key as JSON shows it: a string, plus the exact bytes
// in base64 when it is not valid UTF-8 (as in docs/cli-json.md).
func keyFields(k string) (string, string) {
	if utf8.ValidString(k) {
		return k, ""
	}
	return k, base64.StdEncoding.EncodeToString([]byte(k))
}

// buildDocument turns a snapshot and the side panels into the document;
// withHistory adds the rate histories.
func buildDocument(s *Snapshot, withHistory bool, p panels) *document {
	d := &document{
		SchemaVersion:   SchemaVersion,
		Seq:             s.Seq,
		At:              s.At.UTC(),
		IntervalSeconds: num(p.interval.Seconds()),
		Title:           p.title,
		Source:          p.source,
		Totals:          totalsJSON{num(s.Totals.Rate), num(s.Totals.ReadRate), num(s.Totals.WriteRate)},
		HotKeys:         s.Hot,
		HistoryFloor:    num(s.Floor),
		Keys:            make([]keyJSON, 0, len(s.Keys)),
		Events:          make([]eventJSON, 0, len(s.Events)),
		Nodes:           p.nodes,
		Fleet:           p.fleet,
		NearCache:       nearCacheJSON{Reason: noNearCache},
	}
	if s.Seq == 0 {
		d.At = time.Now().UTC()
	}
	for _, k := range s.Keys {
		kj := keyJSON{
			Rank: k.Rank, Truncated: k.Truncated,
			Rate: num(k.Rate), Low: num(k.Low), High: num(k.High),
			ReadRate: num(k.ReadRate), WriteRate: num(k.WriteRate), Share: num(k.Share),
			Hot: k.Hot, Trend: k.Trend.String(),
		}
		kj.Key, kj.KeyBase64 = keyFields(k.Key)
		if k.Hot && !k.HotSince.IsZero() {
			t := k.HotSince.UTC()
			kj.HotSince = &t
		}
		if !k.CooledAt.IsZero() {
			t := k.CooledAt.UTC()
			kj.CooledAt = &t
		}
		if withHistory {
			kj.History = make([]num, len(k.History))
			for i, v := range k.History {
				kj.History[i] = num(v)
			}
		}
		d.Keys = append(d.Keys, kj)
	}
	if withHistory {
		d.HistoryTimes = make([]int64, len(s.Times))
		for i, t := range s.Times {
			d.HistoryTimes[i] = t.UnixMilli()
		}
	}
	for _, e := range s.Events {
		ej := eventJSON{Kind: e.Kind.String(), Truncated: e.Truncated, Rate: num(e.Rate), Share: num(e.Share), At: e.At.UTC()}
		ej.Key, ej.KeyBase64 = keyFields(e.Key)
		if e.Kind == heat.Cooled {
			h := num(e.HotFor.Seconds())
			ej.HotForSeconds = &h
		}
		d.Events = append(d.Events, ej)
	}
	if p.fleet != nil {
		d.NearCache = p.fleet.cache
		hot := p.fleet.Stats.Hot
		d.NearCache.FleetHotKeys = &hot
	}
	return d
}

// panels are the parts of a document that do not come from the recorder.
type panels struct {
	title, source string
	interval      time.Duration
	nodes         *nodesJSON
	fleet         *fleetJSON
}

// fleetPanel reads a fleet member's instances and counters.
func fleetPanel(f Fleet, now time.Time) *fleetJSON {
	st := f.Stats()
	o := f.Options()
	fj := &fleetJSON{
		Stream:    o.Stream,
		Instance:  o.Instance,
		Instances: []instanceJSON{},
		Stats: fleetStatsJSON{
			Received: st.Received, Malformed: st.Malformed, UnknownVersion: st.UnknownVersion,
			Stale: st.Stale, Gaps: st.Gaps, ReadErrors: st.ReadErrors,
			Joined: st.Joined, Left: st.Left, Expired: st.Expired,
			Hot: st.Hot, Events: st.Events, DroppedEvents: st.DroppedEvents,
		},
	}
	for _, in := range f.Instances() {
		// The summary reached the server Age ago; the instance stamped
		// it SentAt on its own clock: the difference is its clock's
		// offset (plus the publish latency).
		offset := 0.0
		if !in.SentAt.IsZero() {
			offset = in.SentAt.Sub(now.Add(-in.Age)).Seconds()
		}
		ij := instanceJSON{
			ID: in.ID, Self: in.Self, Seq: in.Seq,
			AgeSeconds: num(in.Age.Seconds()), SentAt: in.SentAt.UTC(), ClockOffsetSeconds: num(offset),
			Rate: num(in.Totals.Rate), ReadRate: num(in.Totals.ReadRate), WriteRate: num(in.Totals.WriteRate),
			Keys: in.Keys,
		}
		if in.Cache != nil {
			ij.NearCache = newCacheJSON(in.Cache)
			nc := &fj.cache
			if nc.Total == nil {
				nc.Total, nc.Modes = &cacheJSON{}, make(map[string]int)
			}
			nc.Instances++
			nc.Modes[in.Cache.Mode]++
			t := nc.Total
			t.Hits += in.Cache.Hits
			t.Misses += in.Cache.Misses
			t.Fills += in.Cache.Fills
			t.Invalidations += in.Cache.Invalidations
			t.Entries += in.Cache.Entries
			t.Bytes += in.Cache.Bytes
		}
		fj.Instances = append(fj.Instances, ij)
	}
	if fj.cache.Total != nil {
		fj.cache.Available = true
		fj.cache.Total.ratio()
	} else {
		fj.cache.Reason = noReporter
	}
	return fj
}

// Fleet is the part of a fleet member the dashboard shows besides its
// hot keys: the live instances and the stream's counters.
// *fleet.Member implements it.
type Fleet interface {
	Stats() fleet.Stats
	Instances() []fleet.InstanceInfo
	Options() fleet.Options
}
