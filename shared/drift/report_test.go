package drift

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
)

func TestNewReport(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.FixedZone("BST", 3600))
	pass := Check{Name: "b", Category: "x", Status: Pass}
	fail := Check{Name: "a", Category: "x", Status: Fail}
	skip := Check{Name: "c", Category: "x", Status: Skip, Detail: "timeout"}
	cases := []struct {
		name   string
		checks []Check
		status string
		sum    Summary
		exit   int
	}{
		{"all pass", []Check{pass}, InSync, Summary{1, 0, 0}, 0},
		{"skips do not drift", []Check{pass, skip}, InSync, Summary{1, 0, 1}, 0},
		{"one failure drifts", []Check{pass, fail, skip}, Drifted, Summary{1, 1, 1}, 1},
		{"nothing checked is an error", nil, Error, Summary{}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReport("v12.12", at, tc.checks)
			if r.Status != tc.status || r.Summary != tc.sum || r.ExitCode() != tc.exit {
				t.Errorf("got %s %+v exit %d, want %s %+v exit %d", r.Status, r.Summary, r.ExitCode(), tc.status, tc.sum, tc.exit)
			}
			if r.ScannedAt != "2026-11-25T11:00:00Z" {
				t.Errorf("scanned_at %s, want UTC RFC 3339", r.ScannedAt)
			}
			for i := 1; i < len(r.Checks); i++ {
				if r.Checks[i-1].Name > r.Checks[i].Name {
					t.Errorf("checks not sorted by name: %v", r.Checks)
				}
			}
		})
	}
}

// TestReportJSON pins the SPEC's report shape.
func TestReportJSON(t *testing.T) {
	r := NewReport("v12.12", time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), []Check{
		{Name: "policy.pricing", Category: "policy", Status: Pass, Expected: "x", Actual: "x"},
	})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":"in_sync","baseline":"v12.12","scanned_at":"2026-11-25T12:00:00Z","summary":{"pass":1,"fail":0,"skip":0},` +
		`"checks":[{"name":"policy.pricing","category":"policy","status":"pass","expected":"x","actual":"x"}]}`
	if string(b) != want {
		t.Errorf("report JSON\n got %s\nwant %s", b, want)
	}
	e, _ := json.Marshal(ErrorReport("v12.12", time.Unix(0, 0), errors.New("no table")))
	if !strings.Contains(string(e), `"status":"error"`) || !strings.Contains(string(e), `"checks":[]`) || !strings.Contains(string(e), `"error":"no table"`) {
		t.Errorf("error report JSON = %s", e)
	}
}

func TestCompareSet(t *testing.T) {
	cases := []struct {
		name          string
		expected, got []string
		status        Status
		detail        string
	}{
		{"equal in any order", []string{"a", "b"}, []string{"b", "a"}, Pass, ""},
		{"duplicates count once", []string{"a"}, []string{"a", "a"}, Pass, ""},
		{"missing", []string{"a", "b"}, []string{"a"}, Fail, "missing: b"},
		{"extra", []string{"a"}, []string{"a", "c"}, Fail, "extra: c"},
		{"both", []string{"a", "b"}, []string{"a", "c"}, Fail, "missing: b; extra: c"},
		{"empty actual", []string{"a"}, nil, Fail, "missing: a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := CompareSet("routes", "routes", tc.expected, tc.got)
			if c.Status != tc.status || c.Detail != tc.detail {
				t.Errorf("got %s %q, want %s %q", c.Status, c.Detail, tc.status, tc.detail)
			}
		})
	}
}

func TestReportText(t *testing.T) {
	r := NewReport("v12.12", time.Unix(0, 0), []Check{
		{Name: "routes", Status: Fail, Expected: "a", Actual: "b", Detail: "missing: a"},
		{Name: "stack", Status: Skip, Detail: "timeout"},
	})
	txt := r.Text()
	for _, want := range []string{`fail  routes`, `expected "a", actual "b"`, `(missing: a)`, `skip  stack`, "drifted against v12.12: 0 pass, 1 fail, 1 skip"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
}

func BenchmarkNewReport(b *testing.B) {
	testutil.LambdaHeap(b, "driftscan")
	bl := baseline(b)
	code := CodePolicy()
	at := time.Now()
	for b.Loop() {
		r := NewReport(bl.Version, at, PolicyChecks(bl, code))
		if _, err := json.Marshal(r); err != nil {
			b.Fatal(err)
		}
	}
}
