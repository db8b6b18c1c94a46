package inspect

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// BigkeysOptions configure Bigkeys.
type BigkeysOptions struct {
	// Scan controls the walk over the keyspace.
	Scan ScanOptions
	// Top is how many keys to report per type.
	// default: 10
	Top int
}

// MemkeysOptions configure Memkeys.
type MemkeysOptions struct {
	// Scan controls the walk over the keyspace.
	Scan ScanOptions
	// Top is how many keys to report per type and overall.
	// default: 10
	Top int
	// Samples is MEMORY USAGE's SAMPLES: how many elements of a
	// collection are sampled to estimate its size. -1 measures every
	// element (SAMPLES 0), which is exact and O(N) per key.
	// default: 5 (Redis's own default)
	Samples int
}

// SizeReport is the result of Bigkeys and Memkeys.
type SizeReport struct {
	Header
	// Measure is "length" for Bigkeys (STRLEN, LLEN, HLEN, SCARD, ZCARD,
	// XLEN) and "memory" for Memkeys (MEMORY USAGE, bytes).
	Measure string `json:"measure"`
	// Samples is MEMORY USAGE's SAMPLES (Memkeys only).
	Samples int `json:"samples,omitempty"`
	// Scanned is the number of keys measured.
	Scanned int64 `json:"keys_scanned"`
	// Types has one entry per type found, largest total first.
	Types []TypeSizes `json:"types"`
	// Keys are the largest keys of any type (Memkeys only: lengths of
	// different types do not compare).
	Keys []SizedKey `json:"keys"`
}

// TypeSizes are the figures of one type.
type TypeSizes struct {
	// Type is the TYPE reply: string, list, set, zset, hash, stream, or a
	// module type's name.
	Type string `json:"type"`
	// Unit is what Size counts: bytes, items, fields, members, entries.
	Unit string `json:"unit"`
	// Keys is the number of keys of the type.
	Keys int64 `json:"keys"`
	// Total and Avg are the sum and the mean of the sizes.
	Total int64   `json:"total"`
	Avg   float64 `json:"avg"`
	// Largest are the largest keys of the type, largest first.
	Largest []SizedKey `json:"largest"`
}

// SizedKey is a key with its size.
type SizedKey struct {
	Rank int `json:"rank"`
	KeyRef
	Node string `json:"node"`
	Type string `json:"type"`
	Size int64  `json:"size"`
	Unit string `json:"unit"`
}

func sizedLess(a, b SizedKey) bool {
	if a.Size != b.Size {
		return a.Size < b.Size
	}
	return a.Key > b.Key
}

// lengthCommand returns the O(1) command giving a type's length and its
// unit; "" for types without one (module types), measured by MEMORY USAGE.
func lengthCommand(typ string) (cmd, unit string) {
	switch typ {
	case "string":
		return "strlen", "bytes"
	case "list":
		return "llen", "items"
	case "hash":
		return "hlen", "fields"
	case "set":
		return "scard", "members"
	case "zset":
		return "zcard", "members"
	case "stream":
		return "xlen", "entries"
	}
	return "", "bytes"
}

// sizeAgg gathers one node's sizes.
type sizeAgg struct {
	top     int
	byType  map[string]*typeAgg
	overall *topN[SizedKey]
}

type typeAgg struct {
	unit  string
	keys  int64
	total int64
	top   *topN[SizedKey]
}

func newSizeAgg(top int) *sizeAgg {
	return &sizeAgg{top: top, byType: map[string]*typeAgg{}, overall: newTopN(top, sizedLess, sizedKeyID)}
}

func sizedKeyID(s SizedKey) string { return s.Key }

func (a *sizeAgg) add(k SizedKey) {
	ta := a.byType[k.Type]
	if ta == nil {
		ta = &typeAgg{unit: k.Unit, top: newTopN(a.top, sizedLess, sizedKeyID)}
		a.byType[strings.Clone(k.Type)] = ta
	}
	ta.keys++
	ta.total += k.Size
	ta.top.offer(k)
	a.overall.offer(k)
}

// merge combines node aggregates into a report's types and keys.
func mergeSizes(aggs []*sizeAgg, top int, overall bool) ([]TypeSizes, []SizedKey) {
	types := map[string]*TypeSizes{}
	lists := map[string][][]SizedKey{}
	var all [][]SizedKey
	for _, a := range aggs {
		for typ, ta := range a.byType {
			ts := types[typ]
			if ts == nil {
				ts = &TypeSizes{Type: typ, Unit: ta.unit}
				types[typ] = ts
			}
			ts.Keys += ta.keys
			ts.Total += ta.total
			lists[typ] = append(lists[typ], ta.top.sorted())
		}
		all = append(all, a.overall.sorted())
	}
	out := []TypeSizes{}
	for typ, ts := range types {
		ts.Avg = float64(ts.Total) / float64(ts.Keys)
		ts.Largest = rankKeys(mergeTop(top, sizedLess, lists[typ]...))
		out = append(out, *ts)
	}
	slices.SortFunc(out, func(a, b TypeSizes) int {
		if a.Total != b.Total {
			if a.Total > b.Total {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Type, b.Type)
	})
	keys := []SizedKey{}
	if overall {
		keys = rankKeys(mergeTop(top, sizedLess, all...))
	}
	return out, keys
}

func rankKeys(ks []SizedKey) []SizedKey {
	for i := range ks {
		ks[i].Rank = i + 1
		ks[i].KeyRef = keyRef(ks[i].Key)
	}
	if ks == nil {
		ks = []SizedKey{}
	}
	return ks
}

// Bigkeys scans every primary (or a replica of each, with
// ConnOptions.Replicas) and reports the largest keys of each type by
// length: STRLEN for strings, LLEN, HLEN, SCARD, ZCARD and XLEN for the
// collections (all O(1)); module types are measured with MEMORY USAGE.
func Bigkeys(ctx context.Context, t *Target, opts BigkeysOptions) (*SizeReport, error) {
	return sizes(ctx, t, "bigkeys", opts.Scan, opts.Top, 0)
}

// Memkeys scans like Bigkeys and reports the keys that use the most
// memory, per type and overall, by MEMORY USAGE with opts.Samples.
func Memkeys(ctx context.Context, t *Target, opts MemkeysOptions) (*SizeReport, error) {
	if opts.Samples == 0 {
		opts.Samples = 5
	}
	if opts.Samples < -1 {
		return nil, newError(ErrBadOptions, "", "samples %d: use -1 for every element, or a positive number", opts.Samples)
	}
	return sizes(ctx, t, "memkeys", opts.Scan, opts.Top, opts.Samples)
}

func sizes(ctx context.Context, t *Target, name string, so ScanOptions, top, samples int) (*SizeReport, error) {
	var err error
	if so, err = so.withDefaults(); err != nil {
		return nil, err
	}
	if top == 0 {
		top = 10
	}
	if top < 0 {
		return nil, newError(ErrBadOptions, "", "top %d is negative", top)
	}
	memory := name == "memkeys"
	r := t.begin(name)
	nodes, err := r.scanNodes()
	if err != nil {
		return nil, err
	}
	sc := &scanner{r: r, o: so, cmdsPerKey: 2}
	total := sc.total(ctx, nodes)
	rep := &SizeReport{Measure: "length"}
	if memory {
		rep.Measure, rep.Samples = "memory", samples
		r.note("cost: read-only; per batch one SCAN COUNT %d and one pipeline of TYPE and MEMORY USAGE SAMPLES %d per key (%s): about %s commands for %s keys%s",
			so.Count, memSamples(samples), sampleCost(samples), human(float64(2*total+total/int64(so.Count))), human(float64(total)), throttleNote(so))
	} else {
		r.note("cost: read-only; per batch one SCAN COUNT %d, one pipeline of TYPE and one of STRLEN/LLEN/HLEN/SCARD/ZCARD/XLEN (all O(1)): about %s commands for %s keys%s",
			so.Count, human(float64(2*total+total/int64(so.Count))), human(float64(total)), throttleNote(so))
	}
	var (
		mu   sync.Mutex // guards aggs and rep.Scanned
		aggs []*sizeAgg
	)
	so.Progress.Start("scanning", total)
	failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		agg := newSizeAgg(top)
		measure := func(ctx context.Context, keys []string) error {
			if memory {
				return memBatch(ctx, n, keys, samples, agg, &sc.errs)
			}
			return lengthBatch(ctx, n, keys, agg, &sc.errs)
		}
		seen, err := sc.scan(ctx, n, 0, measure)
		mu.Lock()
		rep.Scanned += seen
		aggs = append(aggs, agg)
		mu.Unlock()
		return err
	})
	so.Progress.Done()
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	sc.errs.warn(r)
	if !memory && slicesAny(nodes, func(n *node) bool { return n.noTouch.Load() == noTouchOff }) {
		r.note("this server has no CLIENT NO-TOUCH (Redis 7.2+): STRLEN, LLEN and the other length commands update each key's LRU/LFU data as a read would; memkeys (TYPE and MEMORY USAGE) does not")
	}
	rep.Types, rep.Keys = mergeSizes(aggs, top, memory)
	rep.Header = r.finish(ctx)
	return rep, nil
}

func memSamples(s int) int {
	if s < 0 {
		return 0
	}
	return s
}

func sampleCost(s int) string {
	if s < 0 {
		return "SAMPLES 0 reads every element: O(N) per key"
	}
	return "O(1) per key"
}

// lengthBatch measures one batch by type and length.
func lengthBatch(ctx context.Context, n *node, keys []string, agg *sizeAgg, errs *keyErrors) error {
	args := make([][]any, len(keys))
	for i, k := range keys {
		args[i] = []any{"type", k}
	}
	cmds, err := pipeline(ctx, n, args)
	if err != nil {
		return err
	}
	types := make([]string, len(keys))
	args = args[:0]
	idx := make([]int, 0, len(keys))
	for i, c := range cmds {
		typ, err := c.Text()
		if err != nil {
			if err := errs.record(err); err != nil {
				return classify(n.addr, "TYPE", err)
			}
			continue
		}
		if typ == "none" {
			errs.vanished.Add(1)
			continue
		}
		types[i] = typ
		if cmd, _ := lengthCommand(typ); cmd != "" {
			args = append(args, []any{cmd, keys[i]})
		} else {
			args = append(args, []any{"memory", "usage", keys[i]})
		}
		idx = append(idx, i)
	}
	if len(args) == 0 {
		return nil
	}
	cmds, err = pipeline(ctx, n, args)
	if err != nil {
		return err
	}
	for j, c := range cmds {
		i := idx[j]
		size, err := c.Int64()
		if err != nil {
			if err := errs.record(err); err != nil {
				return classify(n.addr, "length", err)
			}
			continue
		}
		_, unit := lengthCommand(types[i])
		agg.add(SizedKey{KeyRef: KeyRef{Key: keys[i]}, Node: n.addr, Type: types[i], Size: size, Unit: unit})
	}
	return nil
}

// memBatch measures one batch by MEMORY USAGE.
func memBatch(ctx context.Context, n *node, keys []string, samples int, agg *sizeAgg, errs *keyErrors) error {
	args := make([][]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, []any{"type", k}, []any{"memory", "usage", k, "samples", memSamples(samples)})
	}
	cmds, err := pipeline(ctx, n, args)
	if err != nil {
		return err
	}
	for i, k := range keys {
		typ, err := cmds[2*i].Text()
		if err == nil && typ == "none" {
			errs.vanished.Add(1)
			continue
		}
		if err != nil {
			if err := errs.record(err); err != nil {
				return classify(n.addr, "TYPE", err)
			}
			continue
		}
		size, err := cmds[2*i+1].Int64()
		if err != nil {
			if err := errs.record(err); err != nil {
				return classify(n.addr, "MEMORY USAGE", err)
			}
			continue
		}
		agg.add(SizedKey{KeyRef: KeyRef{Key: k}, Node: n.addr, Type: typ, Size: size, Unit: "bytes"})
	}
	return nil
}

// WriteTable implements Report.
func (rep *SizeReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	how := "by length (STRLEN, LLEN, HLEN, SCARD, ZCARD, XLEN)"
	if rep.Measure == "memory" {
		how = fmt.Sprintf("by MEMORY USAGE (SAMPLES %d)", memSamples(rep.Samples))
	}
	writeTitle(w, h, "%s keys on %s in %.2fs, %s", human(float64(rep.Scanned)), plural(usedNodes(h), "node", "nodes"), h.Seconds, how)
	tb := newTable(w, "TYPE", "KEYS", "TOTAL", "AVG", "LARGEST")
	for _, ts := range rep.Types {
		largest := "-"
		if len(ts.Largest) > 0 {
			largest = shortKey(ts.Largest[0].Key)
		}
		tb.row(ts.Type, strconv.FormatInt(ts.Keys, 10), sizeText(float64(ts.Total), ts.Unit), sizeText(ts.Avg, ts.Unit), largest)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if len(rep.Keys) > 0 {
		fmt.Fprintln(w, "\nLARGEST KEYS")
		tb := newTable(w, "RANK", "KEY", "TYPE", "SIZE", "NODE")
		for _, k := range rep.Keys {
			tb.row(strconv.Itoa(k.Rank), shortKey(k.Key), k.Type, sizeText(float64(k.Size), k.Unit), k.Node)
		}
		if err := tb.flush(); err != nil {
			return err
		}
	}
	for _, ts := range rep.Types {
		fmt.Fprintf(w, "\nLARGEST %s KEYS\n", strings.ToUpper(ts.Type))
		tb := newTable(w, "RANK", "KEY", "SIZE", "NODE")
		for _, k := range ts.Largest {
			tb.row(strconv.Itoa(k.Rank), shortKey(k.Key), sizeText(float64(k.Size), k.Unit), k.Node)
		}
		if err := tb.flush(); err != nil {
			return err
		}
	}
	writeFooter(w, h)
	return nil
}

func sizeText(v float64, unit string) string {
	if unit == "bytes" {
		return bytesHuman(v)
	}
	return human(v) + " " + unit
}
