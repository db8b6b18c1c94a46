package inspect

import (
	"fmt"
	"testing"
	"time"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/heat"
)

// BenchmarkMonitorLine measures what redhot spends on one MONITOR line:
// parsing, finding keys and counting. While MONITOR runs this competes
// with the server for CPU on a small machine.
func BenchmarkMonitorLine(b *testing.B) {
	lines := make([][]byte, 1024)
	for i := range lines {
		cmd := "GET"
		if i%10 == 0 {
			cmd = "SET"
		}
		lines[i] = []byte(fmt.Sprintf(`+1795679531.%06d [0 127.0.0.1:%d] "%s" "key:%012d" "value"`, i, 40000+i%8, cmd, (i*7919)%5000))
	}
	clock := heat.NewFakeClock(time.Unix(1795679531, 0))
	tr := heat.Must(heat.Options{Window: 10 * time.Second, Stripes: 1, Clock: clock, MaxKeyBytes: maxMonitorKeyBytes})
	defer tr.Close()
	m := &monitorNode{
		table: command.Builtin(), tr: tr, clock: clock,
		details:  keyDetails{max: 8192, m: map[string]*keyDetail{}},
		commands: map[string]int64{}, names: map[string]string{},
	}
	var line MonitorLine
	var keys []command.Key
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := ParseMonitorLine(lines[i%len(lines)], &line); err != nil {
			b.Fatal(err)
		}
		keys = m.observe(&line, keys)
	}
}
