package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/samtemplate"
)

func TestInvoke(t *testing.T) {
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(notJSON, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	health := filepath.Join(root, "events", "health.json")
	tests := []struct {
		name, fn, event string
		want            int
	}{
		{"health by folder", "health", health, 0},
		{"health by logical id", "HealthFunction", health, 0},
		{"unknown function", "nope", health, 2},
		{"missing event file", "health", filepath.Join(root, "events", "nope.json"), 2},
		{"event not JSON", "health", notJSON, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == 0 {
				// A successful run needs DynamoDB Local: share the test binary's.
				t.Setenv(dynamolocal.EnvEndpoint, dynamolocal.Endpoint(t))
			}
			if got := run(context.Background(), tc.fn, tc.event); got != tc.want {
				t.Errorf("run(%s, %s) = %d, want %d", tc.fn, tc.event, got, tc.want)
			}
		})
	}
}

func TestMain(m *testing.M) { dynamolocal.Main(m) }
