// Command bench-report renders docs/benchmarks.md, and the plots it shows
// under docs/img/, from the JSON lines that the make bench-* targets saved
// under bench/results/, so every figure in the report comes from a recorded
// run of a named command on a named machine.
//
// Usage: go run ./cmd/bench-report -results results -out ../docs/benchmarks.md -img ../docs/img
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// section renders one results file.
type section struct {
	file   string // under the results directory
	title  string
	cmd    string // the make target that produced it
	intro  string
	render func(r *report, rows []map[string]any) error
}

var sections = []section{
	{file: "detect.jsonl", title: "Detection: the heat tracker against exact counting and top-k libraries", cmd: "make bench-detect", render: renderDetect},
	{file: "inspect.jsonl", title: "Server-side inspection: redhot hotkeys and monitor against redis-cli", cmd: "make bench-inspect", render: renderInspect},
	{file: "overhead.jsonl", title: "Detection overhead on the server", cmd: "make bench-overhead", render: renderOverhead},
	{file: "nearcache.jsonl", title: "Near cache: redhot, go-redis's client-side cache and rueidis", cmd: "make bench-nearcache", render: renderNearcache},
	{file: "split.jsonl", title: "Spreading load: key splitting and replica reads", cmd: "make bench-split", render: renderSplit},
	{file: "stampede.jsonl", title: "Stampede protection", cmd: "make bench-stampede", render: renderGeneric},
	{file: "fleet.jsonl", title: "Fleet view", cmd: "make bench-fleet", render: renderGeneric},
}

// report is the document being written and where its plots go.
type report struct {
	b      strings.Builder
	imgDir string // where PNGs are written
	imgRef string // how the document refers to imgDir
	meta   string // the current section's run: command, machine, versions
}

func main() {
	results := flag.String("results", "results", "directory of saved JSON lines")
	out := flag.String("out", "../docs/benchmarks.md", "report to write")
	img := flag.String("img", "", "directory of the plots (default: img beside -out)")
	flag.Parse()
	if err := run(*results, *out, *img); err != nil {
		fmt.Fprintf(os.Stderr, "bench-report: %v\n", err)
		os.Exit(1)
	}
}

func run(results, out, img string) error {
	if img == "" {
		img = filepath.Join(filepath.Dir(out), "img")
	}
	ref, err := filepath.Rel(filepath.Dir(out), img)
	if err != nil {
		return fmt.Errorf("-img %s is not reachable from -out %s: %w", img, out, err)
	}
	if err := os.MkdirAll(img, 0o755); err != nil {
		return err
	}
	r := &report{imgDir: img, imgRef: filepath.ToSlash(ref)}
	r.b.WriteString("# Benchmarks\n\n")
	r.b.WriteString("Every table and plot below is rendered by `make bench-report` from the JSON\n")
	r.b.WriteString("lines a `make bench-*` target printed and saved under `bench/results/`\n")
	r.b.WriteString("(`make bench` runs them all, then this report). Each table names the command,\n")
	r.b.WriteString("the machine and the versions of its run. Speed figures are wall-clock on a\n")
	r.b.WriteString("machine shared with other work: compare ratios measured in the same run, not\n")
	r.b.WriteString("absolute numbers across runs or machines.\n\n")
	found := 0
	for _, s := range sections {
		path := filepath.Join(results, s.file)
		if _, err := os.Stat(path); os.IsNotExist(err) {
			fmt.Fprintf(os.Stderr, "bench-report: %s not found, section %q left out (run %s)\n", path, s.title, s.cmd)
			continue
		}
		rows, meta, err := readLines(path)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("%s has no result lines (run %s again)", path, s.cmd)
		}
		found++
		r.meta = meta
		fmt.Fprintf(&r.b, "## %s\n\n", s.title)
		if err := s.render(r, rows); err != nil {
			return fmt.Errorf("%s: %w", s.file, err)
		}
		r.b.WriteString("\n")
	}
	if found == 0 {
		return fmt.Errorf("no results under %s (run make bench first)", results)
	}
	return os.WriteFile(out, []byte(r.b.String()), 0o644)
}

// caption states, above a table, which run measured it.
func (r *report) caption(what string) {
	fmt.Fprintf(&r.b, "%s Measured by %s.\n\n", what, r.meta)
}

// plot adds an image reference for a PNG drawn into the image directory.
func (r *report) plot(name, alt string, draw func(path string) error) error {
	if err := draw(filepath.Join(r.imgDir, name)); err != nil {
		return err
	}
	fmt.Fprintf(&r.b, "![%s](%s/%s)\n\n", alt, r.imgRef, name)
	return nil
}

// readLines reads a results file: JSON objects, one a line, with lines
// starting with "#" holding the run's metadata, as scripts/bench-meta.sh
// prints it: "run <date> by '<command>'", "machine: ...", versions.
func readLines(path string) ([]map[string]any, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w (run the make target that produces it first)", path, err)
	}
	defer f.Close()
	var rows []map[string]any
	var cmd, date, machine string
	var other []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			m := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if rest, ok := strings.CutPrefix(m, "run "); ok {
				d, c, _ := strings.Cut(rest, " by ")
				date, cmd = d, strings.Trim(c, "'")
			} else if rest, ok := strings.CutPrefix(m, "machine: "); ok {
				machine = rest
			} else {
				other = append(other, m)
			}
		default:
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				return nil, "", fmt.Errorf("%s:%d: %w", path, n, err)
			}
			rows = append(rows, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if cmd == "" || machine == "" {
		return nil, "", fmt.Errorf("%s has no '# run ... by' or '# machine:' line (save results with scripts/bench-meta.sh first)", path)
	}
	meta := fmt.Sprintf("`%s` on %s, %s", cmd, date, machine)
	if len(other) > 0 {
		meta += "; " + strings.Join(other, "; ")
	}
	return rows, meta, nil
}

// num formats m[k] with format, or a dash if it is not a number.
func num(m map[string]any, k, format string) string {
	v, ok := m[k].(float64)
	if !ok {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// val returns m[k] as a number, NaN if it is not one.
func val(m map[string]any, k string) float64 {
	if v, ok := m[k].(float64); ok {
		return v
	}
	return nan
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// table writes a Markdown table.
func table(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}

// renderGeneric prints the rows as tables, one per set of fields, in the
// order the rows came: a single-object result becomes a field/value table.
func renderGeneric(r *report, rows []map[string]any) error {
	r.caption("All figures of the run, as printed.")
	b := &r.b
	if len(rows) == 1 {
		b.WriteString("| field | value |\n| --- | --- |\n")
		for _, k := range sortedKeys(rows[0]) {
			fmt.Fprintf(b, "| `%s` | %s |\n", k, cell(rows[0][k]))
		}
		return nil
	}
	var group []map[string]any
	var keys []string
	flush := func() {
		if len(group) == 0 {
			return
		}
		var cells [][]string
		for _, g := range group {
			c := make([]string, len(keys))
			for i, k := range keys {
				c[i] = cell(g[k])
			}
			cells = append(cells, c)
		}
		table(b, keys, cells)
		group = group[:0]
	}
	for _, row := range rows {
		ks := sortedKeys(row)
		if !slices.Equal(ks, keys) {
			flush()
			keys = ks
		}
		group = append(group, row)
	}
	flush()
	return nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	// Identifying fields first.
	for _, first := range []string{"approach", "sampler", "tool", "detector", "workload"} {
		if i := slices.Index(ks, first); i > 0 {
			ks = append([]string{first}, slices.Delete(ks, i, i+1)...)
		}
	}
	return ks
}

func cell(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%.4g", x)
	case string:
		return strings.ReplaceAll(x, "|", "\\|")
	case nil:
		return "–"
	default:
		j, _ := json.Marshal(x)
		return "`" + string(j) + "`"
	}
}
