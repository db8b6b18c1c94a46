package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderSavedResults renders the saved results of the repository into
// a temporary directory and checks that every section present is in the
// report, each with the command and machine of its run, and that every
// image the report refers to was written.
func TestRenderSavedResults(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "benchmarks.md")
	if err := run("../../results", out, ""); err != nil {
		t.Fatalf("run = %v", err)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(text)
	for _, s := range sections {
		if _, err := os.Stat(filepath.Join("../../results", s.file)); err != nil {
			continue
		}
		if !strings.Contains(doc, "## "+s.title) {
			t.Errorf("section %q missing", s.title)
		}
		if !strings.Contains(doc, "`"+s.cmd+"` on ") {
			t.Errorf("no table names the run of %s", s.cmd)
		}
	}
	if !strings.Contains(doc, "machine") && !strings.Contains(doc, "cores") {
		t.Errorf("the report names no machine")
	}
	images := 0
	for _, line := range strings.Split(doc, "\n") {
		_, ref, ok := strings.Cut(line, "](img/")
		if !ok {
			continue
		}
		images++
		name := strings.TrimSuffix(ref, ")")
		if st, err := os.Stat(filepath.Join(dir, "img", name)); err != nil || st.Size() == 0 {
			t.Errorf("image %s: %v", name, err)
		}
	}
	if images == 0 {
		t.Errorf("the report shows no plot")
	}
}

// TestBadResults checks that unusable results files are errors that name
// the file, not panics or empty reports.
func TestBadResults(t *testing.T) {
	meta := "# run 2026-01-01T00:00Z by 'make bench-detect'\n# machine: 2 cores\n"
	for name, content := range map[string]string{
		"not JSON":   meta + "{not json\n",
		"no meta":    `{"workload":"step"}` + "\n",
		"no results": meta,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "detect.jsonl"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		err := run(dir, filepath.Join(dir, "out.md"), "")
		if err == nil || !strings.Contains(err.Error(), "detect.jsonl") {
			t.Errorf("%s: run = %v; want an error naming detect.jsonl", name, err)
		}
	}
	if err := run(t.TempDir(), filepath.Join(t.TempDir(), "out.md"), ""); err == nil {
		t.Errorf("run on an empty results directory = nil; want an error")
	}
}
