package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/levqor/serverless/"

// Domain lists the packages that must stay free of AWS: the tier table,
// business hours, tickets and their triage, idempotency's rules, uptime and
// its probes, drift's rules, and the vocabulary they share (problems,
// events, retries, metrics, monitor, logs, correlation ids, warm-ups, JSON
// text and its scanner, side-by-side reads).
var Domain = []string{
	"shared/tiers", "shared/bizhours", "shared/tickets", "shared/triage", "shared/idempotency",
	"shared/uptime", "shared/probe", "shared/drift", "shared/clientlogs", "shared/status",
	"shared/problem", "shared/eventbus", "shared/retry", "shared/metrics", "shared/monitor",
	"shared/logging", "shared/correlation", "shared/warmup", "shared/buildinfo", "shared/jsonstr",
	"shared/jsonscan", "shared/fanout",
}

// forbidden reports the dependencies a domain package may not have.
func forbidden(deps []string) []string {
	var bad []string
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/aws/") {
			bad = append(bad, d)
		}
	}
	return bad
}

// TestDomainImportsNoAWS lists every domain package's dependencies (go list
// -deps, transitive) and fails on any AWS SDK, smithy or aws-lambda-go one.
func TestDomainImportsNoAWS(t *testing.T) {
	for _, pkg := range Domain {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "./../../"+pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			if bad := forbidden(strings.Fields(string(out))); len(bad) > 0 {
				t.Errorf("%s depends on %v: move the AWS code to an adapter and give the domain an interface", pkg, bad)
			}
		})
	}
}

// TestForbiddenCatches proves the check can fail.
func TestForbiddenCatches(t *testing.T) {
	cases := []struct {
		deps []string
		bad  int
	}{
		{[]string{"context", module + "shared/tiers"}, 0},
		{[]string{"github.com/aws/aws-sdk-go-v2/service/dynamodb"}, 1},
		{[]string{"github.com/aws/aws-lambda-go/events", "github.com/aws/smithy-go"}, 2},
	}
	for _, tc := range cases {
		if got := forbidden(tc.deps); len(got) != tc.bad {
			t.Errorf("forbidden(%v) = %v, want %d", tc.deps, got, tc.bad)
		}
	}
}
