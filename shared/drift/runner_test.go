package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/metrics"
)

type fixedScanner struct{ checks []Check }

func (f fixedScanner) Scan(context.Context, Target) Report {
	return NewReport("v12.12", time.Unix(1700000000, 0), f.checks)
}

// TestRunnerCounts: each scan writes its failed and skipped checks as
// Levqor/Drift metrics, the dashboard's drift status.
func TestRunnerCounts(t *testing.T) {
	cases := []struct {
		name         string
		checks       []Check
		failed, skip float64
	}{
		{"in sync", []Check{{Name: "a", Status: Pass}, {Name: "b", Status: Skip}}, 0, 1},
		{"drifted", []Check{{Name: "a", Status: Fail}, {Name: "b", Status: Fail}}, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			r := &Runner{Scanner: fixedScanner{tc.checks}, Metrics: &metrics.Writer{W: &b}, Service: "levqor"}
			if _, err := r.Run(context.Background(), Target{}, "cid"); err != nil {
				t.Fatal(err)
			}
			if err := metrics.Check(bytes.TrimSpace(b.Bytes())); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["ChecksFailed"] != tc.failed || m["ChecksSkipped"] != tc.skip || m["Service"] != "levqor" {
				t.Errorf("metric line %s (%v)", b.Bytes(), err)
			}
		})
	}
}
