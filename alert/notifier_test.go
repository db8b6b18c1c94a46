package alert_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/redhot/redhot/alert"
)

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	n := alert.Log(slogJSON(&buf))
	resolved := sample
	resolved.Kind = alert.Resolved
	resolved.At = sample.Since.Add(90 * time.Second)
	for _, a := range []alert.Alert{sample, resolved} {
		if err := n.Notify(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	dec := json.NewDecoder(&buf)
	want := []struct{ level, msg string }{{"WARN", "hot key alert firing"}, {"INFO", "hot key alert resolved"}}
	for i, w := range want {
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if rec["level"] != w.level || rec["msg"] != w.msg || rec["key"] != `product:\xff42` || rec["rule"] != "hot-products" || rec["origin"] != "api-1" {
			t.Errorf("record %d = %v; want %s %q for product:\\xff42", i, rec, w.level, w.msg)
		}
		if i == 1 && rec["duration"] != float64(90*time.Second) {
			t.Errorf("resolved record's duration = %v; want 90s", rec["duration"])
		}
	}
	if n.Name() != "log" {
		t.Errorf("Name() = %q; want log", n.Name())
	}
}

func slogJSON(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }
