package drift

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/tiers"
)

// TestCurrentBaseline pins the blueprint's numbers: the baseline document
// must say what SPEC.md and the seed say.
func TestCurrentBaseline(t *testing.T) {
	b := baseline(t)
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", b.Version, "v12.12"},
		{"pricing", b.PricingGBP, map[string]int{"starter": 9, "launch": 29, "growth": 59, "agency": 149}},
		{"dfy", b.DFYPackagesGBP, []int{149, 299, 499}},
		{"trial", b.TrialDays, 7},
		{"refund", b.RefundWindowDays, 30},
		{"uptime", b.UptimeSLAPercent, 99.9},
		{"support", b.Support, []Support{{"starter", 48, "low", false, false}, {"launch", 24, "normal", false, true}, {"growth", 12, "high", true, true}, {"agency", 4, "urgent", true, true}}},
		{"keepalive", b.Keepalive, Keepalive{"KeepaliveFunction", "rate(1 hour)"}},
		{"key schema", KeySchemaString(b.Table.KeySchema), "pk HASH S, sk RANGE S"},
		{"pitr", b.Table.PointInTimeRecovery, true},
		{"ttl", b.Table.TTLAttribute, "expires_at"},
		{"routes", strings.Join(sortedSet(b.Routes), ", "),
			"GET /api/ops/drift, GET /api/ops/uptime, GET /client-logger.js, GET /health, GET /openapi.json, GET /status, GET /status.json, HEAD /health, POST /api/client-logs, POST /api/ops/keepalive, POST /api/support/tickets"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			g, _ := json.Marshal(c.got)
			w, _ := json.Marshal(c.want)
			if string(g) != string(w) {
				t.Errorf("baseline %s = %s, want %s", c.name, g, w)
			}
		})
	}
	var ids []string
	for _, f := range b.Functions {
		ids = append(ids, f.LogicalID)
		if f.Runtime != "provided.al2023" || f.Architecture != "arm64" {
			t.Errorf("%s runs %s/%s, want provided.al2023/arm64", f.LogicalID, f.Runtime, f.Architecture)
		}
	}
	if want := []string{"HealthFunction", "TicketsFunction", "KeepaliveFunction", "DriftScanFunction", "ClientLogsFunction"}; !slices.Equal(ids, want) {
		t.Errorf("functions %v, want %v", ids, want)
	}
}

func TestParseBaselineRejects(t *testing.T) {
	valid := string(embedded)
	cases := []struct {
		name, doc, want string
	}{
		{"malformed", `{"version":`, "unexpected EOF"},
		{"unknown field", strings.Replace(valid, `"trial_days"`, `"trial_dayz"`, 1), "unknown field"},
		{"trailing data", valid + `{}`, "trailing data"},
		{"missing values", `{"version":"v0"}`, "missing pricing_gbp"},
		{"keepalive function unknown", strings.Replace(valid, `"function": "KeepaliveFunction"`, `"function": "Nope"`, 1), "keepalive.function"},
		{"empty", ``, "EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBaseline([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseBaseline error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseBaseline(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(`{"version":"v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline(data)
		if err != nil {
			return
		}
		// Whatever parses is complete enough to scan without panicking.
		if b.Version == "" || len(b.Routes) == 0 || len(b.Functions) == 0 {
			t.Fatalf("accepted an incomplete baseline: %+v", b)
		}
		_ = PolicyChecks(b, CodePolicy())
	})
}

func TestPolicyChecks(t *testing.T) {
	b := baseline(t)
	drift := func(edit func(*Code)) Code {
		c := CodePolicy()
		c.Tiers = slices.Clone(c.Tiers)
		c.Policy.DFYPackagesGBP = slices.Clone(c.Policy.DFYPackagesGBP)
		edit(&c)
		return c
	}
	cases := []struct {
		name   string
		code   Code
		failed []string
	}{
		{"code matches baseline", CodePolicy(), nil},
		{"price raised", drift(func(c *Code) { c.Tiers[2].PriceGBP = 69 }), []string{"policy.pricing"}},
		{"dfy package changed", drift(func(c *Code) { c.Policy.DFYPackagesGBP[2] = 599 }), []string{"policy.dfy"}},
		{"trial lengthened", drift(func(c *Code) { c.Policy.TrialDays = 14 }), []string{"policy.trial"}},
		{"refund shortened", drift(func(c *Code) { c.Policy.RefundWindowDays = 14 }), []string{"policy.refund"}},
		{"uptime lowered", drift(func(c *Code) { c.Policy.UptimeSLAPercent = 99.5 }), []string{"policy.uptime_sla"}},
		{"sla hours changed", drift(func(c *Code) { c.Tiers[3].SLAHours = 8 }), []string{"policy.support_sla_hours"}},
		{"priority changed", drift(func(c *Code) { c.Tiers[0].Priority = tiers.Normal }), []string{"policy.priorities"}},
		{"AI routing switched off", drift(func(c *Code) { c.Tiers[2].AIRouting = false }), []string{"policy.routing"}},
		{"human escalation switched on", drift(func(c *Code) { c.Tiers[0].HumanEscalation = true }), []string{"policy.routing"}},
		{"tier dropped", drift(func(c *Code) { c.Tiers = c.Tiers[:3] }), []string{"policy.pricing", "policy.priorities", "policy.routing", "policy.support_sla_hours"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReport(b.Version, time.Unix(0, 0), PolicyChecks(b, tc.code))
			if got := r.Failed(); !slices.Equal(got, tc.failed) {
				t.Errorf("failed = %v, want %v\n%s", got, tc.failed, r.Text())
			}
			if r.Summary.Pass+r.Summary.Fail != 8 || r.Summary.Skip != 0 {
				t.Errorf("summary %+v, want 8 policy checks, none skipped", r.Summary)
			}
		})
	}
	if c := PolicyChecks(b, CodePolicy())[0]; c.Expected != "starter £9, launch £29, growth £59, agency £149" {
		t.Errorf("pricing expected = %q", c.Expected)
	}
}

func baseline(t testing.TB) Baseline {
	t.Helper()
	b, err := Current()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
