package inspect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// SchemaVersion is the version of the JSON reports (see docs/cli-json.md).
// It changes only when a field is removed or changes meaning; new fields
// may appear without a change.
const SchemaVersion = 1

// Report is the result of one inspection method. Every report prints as a
// table for people and as one JSON document for programs.
type Report interface {
	// WriteTable writes the report for people.
	WriteTable(w io.Writer) error
	// Head returns the header common to all reports.
	Head() *Header
}

// WriteJSON writes r as one indented JSON document followed by a newline.
// Keys are JSON strings; a key that is not valid UTF-8 also carries its
// exact bytes in key_base64.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Header is what every report starts with.
type Header struct {
	// SchemaVersion is SchemaVersion.
	SchemaVersion int `json:"schema_version"`
	// Command is the method: "hotkeys", "monitor", ...
	Command string `json:"command"`
	// Target describes what was inspected.
	Target TargetInfo `json:"target"`
	// StartedAt is when the method started.
	StartedAt time.Time `json:"started_at"`
	// Seconds is how long it ran.
	Seconds float64 `json:"duration_seconds"`
	// Partial reports that some node could not be inspected, or the
	// method was interrupted: the figures cover less than everything.
	Partial bool `json:"partial"`
	// Interrupted reports that the method was cancelled (Ctrl-C) and the
	// report holds what was gathered until then.
	Interrupted bool `json:"interrupted"`
	// Notes say how the figures were obtained and what they cost.
	Notes []string `json:"notes"`
	// Warnings say what went wrong without stopping the method.
	Warnings []string `json:"warnings"`
}

// Head returns h; it makes every report type with an embedded Header a
// Report.
func (h *Header) Head() *Header { return h }

// TargetInfo describes the inspected deployment.
type TargetInfo struct {
	// URL is the URL used, without the password.
	URL string `json:"url"`
	// Mode is "standalone" or "cluster".
	Mode Mode `json:"mode"`
	// Version is redis_version of the first node ("valkey x.y" for Valkey).
	Version string `json:"version"`
	// DB is the database number the scanning methods read (always 0 in a
	// cluster).
	DB int `json:"db"`
	// Nodes lists every node, and for each whether this method used it.
	Nodes []NodeInfo `json:"nodes"`
}

// NodeInfo describes one node.
type NodeInfo struct {
	// Addr is host:port.
	Addr string `json:"addr"`
	// ID is the cluster node ID; empty when standalone.
	ID string `json:"id,omitempty"`
	// Role is "primary" or "replica".
	Role Role `json:"role"`
	// Primary is the address of a replica's primary.
	Primary string `json:"primary,omitempty"`
	// Used reports that the method inspected this node.
	Used bool `json:"used"`
	// Error says why the method could not inspect this node.
	Error string `json:"error,omitempty"`
}

// KeyRef is a key as reports show it. Key is the key as a string; when the
// key is not valid UTF-8, JSON shows invalid bytes as U+FFFD in key and
// the exact bytes in key_base64.
type KeyRef struct {
	Key       string `json:"key"`
	KeyBase64 string `json:"key_base64,omitempty"`
}

func keyRef(k string) KeyRef {
	r := KeyRef{Key: k}
	if !utf8.ValidString(k) {
		r.KeyBase64 = base64.StdEncoding.EncodeToString([]byte(k))
	}
	return r
}

// nodeFailure is a node a method could not inspect.
type nodeFailure struct {
	n   *node
	err error
}

// forEach runs fn on every node concurrently and returns the nodes whose
// fn failed (other than by cancellation of ctx).
func forEach(ctx context.Context, nodes []*node, fn func(ctx context.Context, n *node) error) []nodeFailure {
	var (
		mu     sync.Mutex // guards failed
		failed []nodeFailure
		wg     sync.WaitGroup
	)
	for _, n := range nodes {
		wg.Go(func() {
			if err := fn(ctx, n); err != nil && ctx.Err() == nil {
				mu.Lock()
				failed = append(failed, nodeFailure{n, err})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(failed, func(a, b nodeFailure) int { return compareStrings(a.n.addr, b.n.addr) })
	return failed
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// run is one method's run: it builds the header as the method goes.
type run struct {
	t      *Target
	h      Header
	start  time.Time
	used   map[*node]bool
	failed map[*node]error
	mu     sync.Mutex // guards h.Warnings and h.Notes during the run
}

func (t *Target) begin(command string) *run {
	r := &run{
		t:      t,
		start:  time.Now(),
		used:   map[*node]bool{},
		failed: map[*node]error{},
	}
	r.h = Header{
		SchemaVersion: SchemaVersion,
		Command:       command,
		StartedAt:     r.start.UTC().Truncate(time.Millisecond),
		Notes:         slices.Clone(t.notes),
		Warnings:      []string{},
	}
	if r.h.Notes == nil {
		r.h.Notes = []string{}
	}
	for _, f := range t.downNodes() {
		if f.n.role == Primary || t.opts.Replicas {
			r.downNode(f)
		}
	}
	return r
}

// downNode records a node the cluster reports as failed.
func (r *run) downNode(f nodeFailure) {
	r.failed[f.n] = f.err
	r.h.Partial = true
	r.warn("%s; results exclude this node", f.err)
}

// includeDownReplicas records failed replicas too, for methods that
// inspect every node.
func (r *run) includeDownReplicas() {
	for _, f := range r.t.downNodes() {
		if _, ok := r.failed[f.n]; !ok {
			r.downNode(f)
		}
	}
}

// note adds a note to the report and logs it now.
func (r *run) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.h.Notes = append(r.h.Notes, s)
	r.mu.Unlock()
	r.t.logf("%s", s)
}

// quietNote adds a note to the report without logging it.
func (r *run) quietNote(format string, args ...any) {
	r.mu.Lock()
	r.h.Notes = append(r.h.Notes, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// warn adds a warning to the report.
func (r *run) warn(format string, args ...any) {
	s := oneLine(fmt.Sprintf(format, args...))
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.h.Warnings, s) {
		r.h.Warnings = append(r.h.Warnings, s)
	}
}

// use marks nodes as inspected by this method.
func (r *run) use(nodes ...*node) {
	for _, n := range nodes {
		r.used[n] = true
	}
}

// fail records the failures of forEach as warnings, and reports whether
// every used node failed, in which case err is the error to return.
func (r *run) fail(failures []nodeFailure) (allFailed bool, err error) {
	for _, f := range failures {
		r.failed[f.n] = f.err
		r.h.Partial = true
		r.warn("%s; results exclude this node", f.err)
	}
	ok := 0
	for n := range r.used {
		if _, bad := r.failed[n]; !bad {
			ok++
		}
	}
	if ok > 0 || len(failures) == 0 {
		return false, nil
	}
	// Every node failed. Return the first failure as it is when all
	// failed the same way, so that its kind (NOPERM, auth, ...) shows.
	first := failures[0].err
	same := true
	for _, f := range failures[1:] {
		if kindOf(f.err) != kindOf(first) {
			same = false
		}
	}
	if same || len(failures) == 1 {
		return true, first
	}
	return true, &Error{Kind: ErrAllNodesFailed, Msg: fmt.Sprintf("all %d nodes failed", len(failures)), Err: first}
}

func kindOf(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return nil
}

// finish completes the header: duration, interruption, node list.
func (r *run) finish(ctx context.Context) Header {
	h := r.h
	h.Seconds = time.Since(r.start).Seconds()
	if ctx.Err() != nil {
		h.Interrupted, h.Partial = true, true
		h.Warnings = append(h.Warnings, "interrupted: the results are partial")
	}
	h.Target = TargetInfo{URL: r.t.URL(), Mode: r.t.mode, Version: r.t.version, DB: r.t.DB()}
	for _, n := range r.t.nodes {
		ni := n.info()
		ni.Used = r.used[n]
		if err, bad := r.failed[n]; bad {
			ni.Error = err.Error()
			ni.Used = false
		}
		h.Target.Nodes = append(h.Target.Nodes, ni)
	}
	return h
}
