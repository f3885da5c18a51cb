package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/invoke"
)

// TestEagerSDKSchemas pins which aws-sdk-go-v2 service packages each
// function links with a generated schemas package (schema-based serde).
// Each one builds every shape of its service at package init (0.3-0.8 ms of
// cold init here), so the figures in BENCHMARKS.md hold only for this set.
// go.mod holds the service clients at their last releases without one; a
// dependency bump that brings one in must come with a `make bench` showing
// every target still met, and then a change to this table.
func TestEagerSDKSchemas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const sdk = "github.com/aws/aws-sdk-go-v2/service/"
	cases := []struct {
		fn   string
		want []string
	}{
		{"health", nil},
		{"tickets", nil},
		{"keepalive", nil},
		{"driftscan", nil},
	}
	for _, tc := range cases {
		t.Run(tc.fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-tags", invoke.Tags, "./functions/"+tc.fn)
			cmd.Dir = "../.."
			cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			var got []string
			for _, p := range strings.Fields(string(out)) {
				if svc, ok := strings.CutPrefix(p, sdk); ok {
					if name, ok := strings.CutSuffix(svc, "/schemas"); ok {
						got = append(got, name)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s links eager SDK schemas for %v, want %v: measure cold init with make bench before changing this", tc.fn, got, tc.want)
			}
		})
	}
}
