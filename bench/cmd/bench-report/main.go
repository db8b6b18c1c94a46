// Command bench-report renders docs/benchmarks.md from the JSON lines that
// the make bench-* targets saved under bench/results/, so every figure in
// the report comes from a recorded run of a named command.
//
// Usage: go run ./cmd/bench-report -results results -out ../docs/benchmarks.md
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
	render func(b *strings.Builder, rows []map[string]any)
}

var sections = []section{
	{file: "detect.jsonl", title: "Detection: the heat tracker", cmd: "make bench-detect", render: renderDetect},
	{file: "inspect.jsonl", title: "Server-side inspection: redhot hotkeys and monitor", cmd: "make bench-inspect", render: renderGeneric},
	{file: "nearcache.jsonl", title: "Near cache", cmd: "make bench-nearcache", render: renderGeneric},
	{file: "stampede.jsonl", title: "Stampede protection", cmd: "make bench-stampede", render: renderGeneric},
	{file: "split.jsonl", title: "Spreading load: key splitting and replica reads", cmd: "make bench-split", render: renderGeneric},
	{file: "fleet.jsonl", title: "Fleet view", cmd: "make bench-fleet", render: renderGeneric},
}

func main() {
	results := flag.String("results", "results", "directory of saved JSON lines")
	out := flag.String("out", "../docs/benchmarks.md", "report to write")
	flag.Parse()
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Every table below is rendered by `make bench-report` from the JSON lines a\n")
	b.WriteString("`make bench-*` target printed and saved under `bench/results/`; the header of\n")
	b.WriteString("each section names the command and the machine. Speed figures are wall-clock\n")
	b.WriteString("on a shared machine: compare ratios within one run, not across machines.\n\n")
	for _, s := range sections {
		path := filepath.Join(*results, s.file)
		if _, err := os.Stat(path); os.IsNotExist(err) {
			fmt.Fprintf(os.Stderr, "bench-report: %s not found, section %q left out (run %s)\n", path, s.title, s.cmd)
			continue
		}
		rows, meta, err := readLines(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench-report: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(&b, "## %s\n\n", s.title)
		fmt.Fprintf(&b, "Command: `%s`. %s\n\n", s.cmd, meta)
		s.render(&b, rows)
		b.WriteString("\n")
	}
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bench-report: %v\n", err)
		os.Exit(1)
	}
}

// readLines reads a results file: JSON objects, one a line, with lines
// starting with "#" holding the run's metadata (machine, versions, date).
func readLines(path string) ([]map[string]any, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w (run the make target that produces it first)", path, err)
	}
	defer f.Close()
	var rows []map[string]any
	var meta []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			meta = append(meta, strings.TrimSpace(strings.TrimPrefix(line, "#")))
		default:
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				return nil, "", fmt.Errorf("%s:%d: %w", path, n, err)
			}
			rows = append(rows, m)
		}
	}
	return rows, strings.Join(meta, "; ") + ".", sc.Err()
}

func num(m map[string]any, k, format string) string {
	v, ok := m[k].(float64)
	if !ok {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func renderDetect(b *strings.Builder, rows []map[string]any) {
	b.WriteString("Against exact counts with the same exponential decay (accuracy on stream time;\n")
	b.WriteString("ns/op with keys held in cache as a client that just built them; \"keyspace\"\n")
	b.WriteString("looks each key up in the million-key table, paying a cache miss):\n\n")
	b.WriteString("| workload | keys | accesses | recall@100 | precision@100 | top-10 rate error | ns/op | ns/op, all cores | speed-up | ns/op keyspace | memory | exact map ns/op | exact map memory |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		if str(r, "detector") != "redhot" || r["ns_per_op_parallel"] == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			str(r, "workload"), num(r, "keys", "%.0f"), num(r, "ops", "%.0f"),
			num(r, "recall_at_100", "%.2f"), num(r, "precision_at_100", "%.2f"), num(r, "top10_rate_error", "%.5f"),
			num(r, "ns_per_op", "%.1f"), num(r, "ns_per_op_parallel", "%.1f"), num(r, "parallel_speedup", "%.2fx"),
			num(r, "ns_per_op_keyspace", "%.1f"), num(r, "memory_bytes", "%.0f B"),
			num(r, "exact_ns_per_op", "%.1f"), num(r, "exact_memory_bytes", "%.0f B"))
	}
	b.WriteString("\nPlain counts (no decay), side by side with published Go top-k libraries, same trace, top 100:\n\n")
	b.WriteString("| workload | detector | configuration | recall@100 | top-10 count error | ns/op | memory |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		if str(r, "decay") != "none (plain counts)" {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", str(r, "workload"), str(r, "detector"), str(r, "note"),
			num(r, "recall_at_100", "%.2f"), num(r, "top10_rate_error", "%.4f"), num(r, "ns_per_op", "%.1f"), num(r, "memory_bytes", "%.0f B"))
	}
	for _, r := range rows {
		if str(r, "workload") != "step" {
			continue
		}
		fmt.Fprintf(b, "\nStep change: %s. Time from the step to the key being flagged hot: p50 %s ms, p99 %s ms, max %s ms; missed %s.\n",
			str(r, "note"), num(r, "step_detect_ms_p50", "%.0f"), num(r, "step_detect_ms_p99", "%.0f"), num(r, "step_detect_ms_max", "%.0f"), num(r, "step_missed", "%.0f"))
	}
}

// renderGeneric prints the rows as tables, one per set of fields, in the
// order the rows came: a single-object result becomes a field/value table.
func renderGeneric(b *strings.Builder, rows []map[string]any) {
	if len(rows) == 1 {
		b.WriteString("| field | value |\n| --- | --- |\n")
		for _, k := range sortedKeys(rows[0]) {
			fmt.Fprintf(b, "| `%s` | %s |\n", k, cell(rows[0][k]))
		}
		return
	}
	var group []map[string]any
	var keys []string
	flush := func() {
		if len(group) == 0 {
			return
		}
		b.WriteString("| " + strings.Join(keys, " | ") + " |\n|" + strings.Repeat(" --- |", len(keys)) + "\n")
		for _, r := range group {
			cells := make([]string, len(keys))
			for i, k := range keys {
				cells[i] = cell(r[k])
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
		b.WriteString("\n")
		group = group[:0]
	}
	for _, r := range rows {
		ks := sortedKeys(r)
		if !slices.Equal(ks, keys) {
			flush()
			keys = ks
		}
		group = append(group, r)
	}
	flush()
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
