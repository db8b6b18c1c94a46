package faultsuite

import (
	"strings"
	"testing"
	"time"
)

// The checkers must be able to fail: each is given a history with a
// violation and one without.

func TestOverlaps(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name string
		runs []interval
		want int
	}{
		{"disjoint", []interval{{at(0), at(3), 0}, {at(3), at(6), 1}, {at(10), at(12), 2}}, 0},
		{"overlap", []interval{{at(0), at(3), 0}, {at(2), at(5), 1}}, 1},
		{"inside a long run", []interval{{at(0), at(20), 0}, {at(5), at(6), 1}, {at(10), at(12), 2}}, 2},
		{"unsorted", []interval{{at(10), at(12), 2}, {at(0), at(11), 0}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := overlaps(tt.runs); len(got) != tt.want {
				t.Errorf("overlaps = %q; want %d violations", got, tt.want)
			}
		})
	}
}

func TestVersionsCheck(t *testing.T) {
	t0 := time.Now()
	bound := 200 * time.Millisecond
	h := newVersions()
	h.issued = 4
	h.acks = []ack{{1, t0}, {2, t0.Add(100 * time.Millisecond)}, {4, t0.Add(300 * time.Millisecond)}}
	h.unknown[3] = struct{}{}
	tests := []struct {
		name  string
		v     int64
		start time.Time
		bad   string
	}{
		{"fresh", 4, t0.Add(time.Second), ""},
		{"within the bound", 1, t0.Add(250 * time.Millisecond), ""},
		{"too old", 1, t0.Add(301 * time.Millisecond), "version 2 was acknowledged"},
		{"unknown outcome", 3, t0.Add(time.Second), ""},
		{"never written", 5, t0, "never written"},
		{"absent before any write", 0, t0.Add(bound), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.check(tt.v, tt.start, bound)
			if (tt.bad == "") != (got == "") || !strings.Contains(got, tt.bad) {
				t.Errorf("check(%d) = %q; want %q", tt.v, got, tt.bad)
			}
		})
	}
}

func TestCleanError(t *testing.T) {
	tests := []struct {
		name, stderr, bad string
	}{
		{"clean", "redhot: dial 127.0.0.1:1: connection refused\nhint: is Redis running there?\n", ""},
		{"cost line first", "redhot: scanning 1 node\nredhot: i/o timeout\nhint: check it\n", ""},
		{"no hint", "redhot: i/o timeout\n", "no hint"},
		{"no error line", "something went wrong\n", "no \"redhot"},
		{"trailing output", "redhot: x\nhint: y\nmore\n", "more output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanError(tt.stderr)
			if (tt.bad == "") != (got == "") || !strings.Contains(got, tt.bad) {
				t.Errorf("cleanError(%q) = %q; want %q", tt.stderr, got, tt.bad)
			}
		})
	}
}
