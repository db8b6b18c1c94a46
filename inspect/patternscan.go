package inspect

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// PatternsOptions configure Patterns.
type PatternsOptions struct {
	// Scan controls the walk over the keyspace.
	Scan ScanOptions

	// Patterns are the glob patterns to group keys by; a key counts for
	// the first pattern it matches, or for "(other)". When empty, patterns
	// are inferred with InferPattern and then merged where one position
	// takes many different words (user:alice:x, user:bob:x, ... become
	// user:*:x).
	// default: none (inferred)
	Patterns []string

	// Sample is how many keys to measure in all, spread over the nodes in
	// proportion to their key counts; counts and sizes are extrapolated
	// to the whole keyspace. SampleAll (-1) measures every key.
	// default: 10000
	Sample int64

	// Samples is MEMORY USAGE's SAMPLES (see MemkeysOptions.Samples).
	// default: 5
	Samples int

	// Top is how many patterns to report.
	// default: 30
	Top int
}

// SampleAll is the PatternsOptions.Sample that measures every key.
const SampleAll = -1

// PatternsReport is the result of Patterns.
type PatternsReport struct {
	Header
	// Inferred reports that patterns were inferred rather than given.
	Inferred bool `json:"inferred"`
	// Samples is MEMORY USAGE's SAMPLES.
	Samples int `json:"samples"`
	// Sampled is the number of keys measured, and Keys the number of keys
	// in the scanned nodes (DBSIZE).
	Sampled int64 `json:"keys_sampled"`
	Keys    int64 `json:"keys_total"`
	// Patterns are the patterns by estimated memory, largest first.
	Patterns []PatternStats `json:"patterns"`
}

// PatternStats are the figures of one pattern.
type PatternStats struct {
	// Pattern is the glob; PatternBase64 its bytes when not valid UTF-8.
	Pattern       string `json:"pattern"`
	PatternBase64 string `json:"pattern_base64,omitempty"`
	// Keys and Bytes are what the sample holds; EstKeys and EstBytes
	// extrapolate to the whole keyspace.
	Keys     int64   `json:"keys_sampled"`
	Bytes    int64   `json:"bytes_sampled"`
	EstKeys  float64 `json:"keys_estimated"`
	EstBytes float64 `json:"bytes_estimated"`
	// Share is the pattern's part of the estimated memory.
	Share float64 `json:"memory_share"`
	// AvgBytes and MaxBytes are the mean and largest MEMORY USAGE.
	AvgBytes float64 `json:"avg_bytes"`
	MaxBytes int64   `json:"max_bytes"`
	// Largest is the largest key of the pattern in the sample.
	Largest     KeyRef `json:"largest"`
	LargestNode string `json:"largest_node"`
}

// patAgg gathers one pattern.
type patAgg struct {
	keys     int64
	bytes    int64
	est      float64 // keys weighted by their node's extrapolation factor
	estBytes float64
	max      int64
	largest  string
	node     string
}

func (a *patAgg) merge(b *patAgg) {
	a.keys += b.keys
	a.bytes += b.bytes
	a.est += b.est
	a.estBytes += b.estBytes
	if b.max > a.max || (b.max == a.max && b.largest < a.largest && b.largest != "") {
		a.max, a.largest, a.node = b.max, b.largest, b.node
	}
}

// otherPattern is where keys matching no given pattern go.
const otherPattern = "(other)"

// Patterns samples keys with SCAN and MEMORY USAGE and reports memory and
// key counts by key pattern, given or inferred, with average and largest
// size and the largest key of each pattern.
func Patterns(ctx context.Context, t *Target, opts PatternsOptions) (*PatternsReport, error) {
	var err error
	if opts.Scan, err = opts.Scan.withDefaults(); err != nil {
		return nil, err
	}
	if opts.Sample == 0 {
		opts.Sample = 10_000
	}
	if opts.Sample < SampleAll {
		return nil, newError(ErrBadOptions, "", "sample %d is negative", opts.Sample)
	}
	if opts.Samples == 0 {
		opts.Samples = 5
	}
	if opts.Top == 0 {
		opts.Top = 30
	}
	if opts.Top < 0 {
		return nil, newError(ErrBadOptions, "", "top %d is negative", opts.Top)
	}
	r := t.begin("patterns")
	nodes, err := r.scanNodes()
	if err != nil {
		return nil, err
	}
	rep := &PatternsReport{Inferred: len(opts.Patterns) == 0, Samples: opts.Samples, Patterns: []PatternStats{}}
	sizes := make([]int64, len(nodes))
	forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		if v, err := n.client.DBSize(ctx).Result(); err == nil {
			sizes[indexOf(nodes, n)] = v
		}
		return nil
	})
	for _, s := range sizes {
		rep.Keys += s
	}
	quota := func(i int) int64 {
		if opts.Sample == SampleAll || rep.Keys == 0 || opts.Sample >= rep.Keys {
			return 0
		}
		return max(1, (opts.Sample*sizes[i]+rep.Keys-1)/rep.Keys)
	}
	want := rep.Keys
	if opts.Sample != SampleAll && opts.Sample < want {
		want = opts.Sample
	}
	r.note("cost: read-only; SCAN COUNT %d and MEMORY USAGE SAMPLES %d (%s) on about %s of %s keys%s",
		opts.Scan.Count, memSamples(opts.Samples), sampleCost(opts.Samples), human(float64(want)), human(float64(rep.Keys)), throttleNote(opts.Scan))

	sc := &scanner{r: r, o: opts.Scan, cmdsPerKey: 1}
	var (
		mu   sync.Mutex // guards aggs and rep.Sampled
		aggs []map[string]*patAgg
	)
	sc.o.Progress.Start("sampling", want)
	failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		i := indexOf(nodes, n)
		local := map[string]*patAgg{}
		var measured []struct {
			key  string
			size int64
		}
		seen, err := sc.scan(ctx, n, quota(i), func(ctx context.Context, keys []string) error {
			args := make([][]any, len(keys))
			for j, k := range keys {
				args[j] = []any{"memory", "usage", k, "samples", memSamples(opts.Samples)}
			}
			cmds, err := pipeline(ctx, n, args)
			if err != nil {
				return err
			}
			for j, c := range cmds {
				size, err := c.Int64()
				if err != nil {
					if err := sc.errs.record(err); err != nil {
						return classify(n.addr, "MEMORY USAGE", err)
					}
					continue
				}
				measured = append(measured, struct {
					key  string
					size int64
				}{keys[j], size})
			}
			return nil
		})
		factor := 1.0
		if len(measured) > 0 && sizes[i] > int64(len(measured)) {
			factor = float64(sizes[i]) / float64(len(measured))
		}
		for _, m := range measured {
			p := assignPattern(m.key, opts.Patterns)
			a := local[p]
			if a == nil {
				a = &patAgg{}
				local[p] = a
			}
			a.merge(&patAgg{keys: 1, bytes: m.size, est: factor, estBytes: factor * float64(m.size), max: m.size, largest: m.key, node: n.addr})
		}
		mu.Lock()
		rep.Sampled += seen
		aggs = append(aggs, local)
		mu.Unlock()
		return err
	})
	sc.o.Progress.Done()
	if _, err := r.fail(failures); err != nil {
		return nil, err
	}
	sc.errs.warn(r)
	all := map[string]*patAgg{}
	for _, m := range aggs {
		for p, a := range m {
			if b := all[p]; b != nil {
				b.merge(a)
			} else {
				c := *a
				all[p] = &c
			}
		}
	}
	if rep.Inferred {
		all = mergeVariants(all, 16)
	}
	var totalBytes float64
	for _, a := range all {
		totalBytes += a.estBytes
	}
	for p, a := range all {
		ps := PatternStats{
			Pattern: p, Keys: a.keys, Bytes: a.bytes, EstKeys: a.est, EstBytes: a.estBytes,
			AvgBytes: float64(a.bytes) / float64(a.keys), MaxBytes: a.max,
			Largest: keyRef(a.largest), LargestNode: a.node,
		}
		if !utf8.ValidString(p) {
			ps.PatternBase64 = base64.StdEncoding.EncodeToString([]byte(p))
		}
		if totalBytes > 0 {
			ps.Share = a.estBytes / totalBytes
		}
		rep.Patterns = append(rep.Patterns, ps)
	}
	slices.SortFunc(rep.Patterns, func(a, b PatternStats) int {
		if a.EstBytes != b.EstBytes {
			if a.EstBytes > b.EstBytes {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Pattern, b.Pattern)
	})
	if len(rep.Patterns) > opts.Top {
		r.quietNote("%d patterns found; the %d largest are shown", len(rep.Patterns), opts.Top)
		rep.Patterns = rep.Patterns[:opts.Top]
	}
	if opts.Sample != SampleAll && rep.Sampled < rep.Keys {
		r.quietNote("sampled %d of %d keys: keys_estimated and bytes_estimated extrapolate each node's sample to its DBSIZE; a sample can miss a few very large keys, which memkeys finds", rep.Sampled, rep.Keys)
	}
	rep.Header = r.finish(ctx)
	return rep, nil
}

// assignPattern returns the first given pattern key matches, or
// otherPattern; with no patterns given, the inferred pattern.
func assignPattern(key string, patterns []string) string {
	if len(patterns) == 0 {
		return InferPattern(key)
	}
	for _, p := range patterns {
		if MatchPattern(p, key) {
			return p
		}
	}
	return otherPattern
}

// mergeVariants merges inferred patterns that differ in one part only,
// where that part takes at least minVariants different values:
// user:alice:x, user:bob:x, ... become user:*:x. Numbers and hashes are
// already '*'; this catches names.
func mergeVariants(all map[string]*patAgg, minVariants int) map[string]*patAgg {
	for {
		groups := map[string][]string{} // pattern with one part as '*' → members
		for p := range all {
			parts := splitParts(p)
			for i, part := range parts {
				if part == "*" || (len(part) == 1 && isSeparator(part[0])) {
					continue
				}
				parts[i] = "*"
				g := strings.Join(parts, "")
				parts[i] = part
				groups[g] = append(groups[g], p)
			}
		}
		// Merge the largest groups first, each pattern into one group per
		// pass; repeat until no group qualifies.
		var names []string
		for g, members := range groups {
			if len(members) >= minVariants {
				names = append(names, g)
			}
		}
		if len(names) == 0 {
			return all
		}
		slices.SortFunc(names, func(a, b string) int {
			if d := len(groups[b]) - len(groups[a]); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		used := map[string]bool{}
		merges := 0
		for _, g := range names {
			var members []string
			for _, p := range groups[g] {
				if !used[p] && all[p] != nil {
					members = append(members, p)
				}
			}
			if len(members) < minVariants || used[g] {
				continue
			}
			merged := all[g]
			if merged == nil {
				merged = &patAgg{}
				all[g] = merged
			}
			for _, p := range members {
				merged.merge(all[p])
				delete(all, p)
				used[p] = true
			}
			used[g] = true
			merges++
		}
		if merges == 0 {
			return all
		}
	}
}

// splitParts splits a pattern into parts and the separators between them,
// keeping every byte, so strings.Join(parts, "") is the pattern.
func splitParts(p string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' {
			i++
			continue
		}
		if isSeparator(p[i]) {
			if i > start {
				parts = append(parts, p[start:i])
			}
			parts = append(parts, p[i:i+1])
			start = i + 1
		}
	}
	if start < len(p) {
		parts = append(parts, p[start:])
	}
	return parts
}

// WriteTable implements Report.
func (rep *PatternsReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	how := "given patterns"
	if rep.Inferred {
		how = "inferred patterns"
	}
	writeTitle(w, h, "%s of %s keys sampled on %s by MEMORY USAGE (SAMPLES %d), %s",
		human(float64(rep.Sampled)), human(float64(rep.Keys)), plural(usedNodes(h), "node", "nodes"), memSamples(rep.Samples), how)
	tb := newTable(w, "PATTERN", "KEYS", "EST. KEYS", "EST. MEMORY", "SHARE", "AVG", "MAX", "LARGEST KEY")
	for _, p := range rep.Patterns {
		tb.row(shortKey(p.Pattern), strconv.FormatInt(p.Keys, 10), human(p.EstKeys), bytesHuman(p.EstBytes), pct(p.Share),
			bytesHuman(p.AvgBytes), bytesHuman(float64(p.MaxBytes)), shortKey(p.Largest.Key))
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if len(rep.Patterns) == 0 {
		fmt.Fprintln(w, "(no keys)")
	}
	if rep.Sampled < rep.Keys {
		fmt.Fprintln(w, "Estimates scale the sample up to DBSIZE; a sample can miss a few very large keys (redhot memkeys finds them).")
	}
	writeFooter(w, h)
	return nil
}
