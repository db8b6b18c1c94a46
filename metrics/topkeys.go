package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// topKeys exports a source's traffic rates and per-key series for its top
// keys, under one prefix ("redhot_heat", "redhot_fleet").
type topKeys struct {
	src  TopSource
	opts Options

	rate, keyRate, keyShare, keyHot *prometheus.Desc
}

func newTopKeys(prefix, what string, src TopSource, opts Options) *topKeys {
	return &topKeys{
		src:  src,
		opts: opts,
		rate: prometheus.NewDesc(prefix+"_ops_per_second",
			"Accesses per second "+what+", by op (read or write); sum them for the total.", []string{"op"}, nil),
		keyRate: prometheus.NewDesc(prefix+"_key_ops_per_second",
			"Accesses per second of each of the top keys "+what+", by op (read or write). Only the current top keys have series.", []string{"key", "op"}, nil),
		keyShare: prometheus.NewDesc(prefix+"_key_share",
			"Share of all traffic of each of the top keys "+what+", from 0 to 1.", []string{"key"}, nil),
		keyHot: prometheus.NewDesc(prefix+"_key_hot",
			"1 when the top key is hot "+what+", else 0.", []string{"key"}, nil),
	}
}

func (t *topKeys) describe(ch chan<- *prometheus.Desc) {
	ch <- t.rate
	ch <- t.keyRate
	ch <- t.keyShare
	ch <- t.keyHot
}

func (t *topKeys) collect(ch chan<- prometheus.Metric) {
	tot := t.src.Totals()
	ch <- prometheus.MustNewConstMetric(t.rate, prometheus.GaugeValue, tot.ReadRate, "read")
	ch <- prometheus.MustNewConstMetric(t.rate, prometheus.GaugeValue, tot.WriteRate, "write")
	seen := make(map[string]struct{}, t.opts.TopK)
	for _, ks := range t.src.Top(t.opts.TopK) {
		key := KeyLabel(ks.Key, ks.Truncated, t.opts.MaxKeyBytes)
		if _, dup := seen[key]; dup {
			continue // a colder key with the same label
		}
		seen[key] = struct{}{}
		hot := 0.0
		if ks.Hot {
			hot = 1
		}
		ch <- prometheus.MustNewConstMetric(t.keyRate, prometheus.GaugeValue, ks.ReadRate, key, "read")
		ch <- prometheus.MustNewConstMetric(t.keyRate, prometheus.GaugeValue, ks.WriteRate, key, "write")
		ch <- prometheus.MustNewConstMetric(t.keyShare, prometheus.GaugeValue, ks.Share, key)
		ch <- prometheus.MustNewConstMetric(t.keyHot, prometheus.GaugeValue, hot, key)
	}
}
