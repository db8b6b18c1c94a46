package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// statsCollector is a prometheus.Collector that reads a Stats value of
// type S once per scrape and turns it into constant metrics, plus, when
// top is set, per-key series for the source's top keys. Every collector of
// this package is one: a table of statMetrics over its layer's Stats.
type statsCollector[S any] struct {
	read    func() S
	metrics []statMetric[S]
	top     *topKeys // nil: no rates or per-key series
}

// statMetric is one metric family of a statsCollector: a descriptor and
// how to read its value (or, with labels, its values) from S.
type statMetric[S any] struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
	// value reads an unlabelled metric; labelled reads a labelled one by
	// calling emit once per series.
	value    func(*S) float64
	labelled func(s *S, emit func(v float64, labelValues ...string))
}

// Describe sends every descriptor.
func (c *statsCollector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
	if c.top != nil {
		c.top.describe(ch)
	}
}

// Collect reads the stats once and sends every series.
func (c *statsCollector[S]) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	for _, m := range c.metrics {
		if m.value != nil {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&s))
			continue
		}
		m.labelled(&s, func(v float64, lvs ...string) {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v, lvs...)
		})
	}
	if c.top != nil {
		c.top.collect(ch)
	}
}

// counter and gauge build unlabelled statMetrics.
func counter[S any](name, help string, value func(*S) float64) statMetric[S] {
	return statMetric[S]{desc: prometheus.NewDesc(name, help, nil, nil), kind: prometheus.CounterValue, value: value}
}

func gauge[S any](name, help string, value func(*S) float64) statMetric[S] {
	return statMetric[S]{desc: prometheus.NewDesc(name, help, nil, nil), kind: prometheus.GaugeValue, value: value}
}

// labelled builds a labelled statMetric.
func labelled[S any](name, help string, kind prometheus.ValueType, labels []string, emit func(s *S, emit func(v float64, labelValues ...string))) statMetric[S] {
	return statMetric[S]{desc: prometheus.NewDesc(name, help, labels, nil), kind: kind, labelled: emit}
}
