package uptime

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/probe"
)

// BenchmarkBuildReport measures building one keepalive result document
// after the checks: overall status, uptime over 24 h / 7 d / 30 d with
// incidents from 30 days of hourly runs for three targets, and the JSON
// encoding the function returns. Storage and network are not included.
func BenchmarkBuildReport(b *testing.B) {
	testutil.LambdaHeap(b, "keepalive")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const targets = 3
	histories := make([][]Run, targets)
	results := make([]probe.Result, targets)
	for i := range targets {
		name := fmt.Sprintf("target-%d", i)
		for h := 30 * 24; h > 0; h-- {
			st := probe.Up
			if h%97 == 0 || h%98 == 0 {
				st = probe.Down
			}
			histories[i] = append(histories[i], Run{Target: name, CheckedAt: now.Add(-time.Duration(h) * time.Hour), Status: st})
		}
		results[i] = probe.Result{Target: name, OK: true, Status: probe.Up, StatusCode: 200, LatencyMs: 42, Attempts: 1, Version: "1.0.0"}
	}
	b.ReportAllocs()
	for b.Loop() {
		rep := Report{Status: probe.Overall(results), CheckedAt: now, RunID: "run", Results: results, Alerts: []Alert{}}
		for i := range targets {
			rep.Uptime = append(rep.Uptime, Summarize(results[i].Target, histories[i], now, 99.9, 0))
		}
		if _, err := json.Marshal(rep); err != nil {
			b.Fatal(err)
		}
	}
}
