package main

import (
	"errors"
	"os"
	"testing"

	"github.com/levqor/serverless/infra/dynamolocal"
)

func TestRunPassesEndpointAndExitCode(t *testing.T) {
	if _, err := dynamolocal.FindJar("."); errors.Is(err, dynamolocal.ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"endpoint reaches the command", []string{"sh", "-c", `case "$DYNAMODB_ENDPOINT" in http://127.0.0.1:*) exit 0;; esac; exit 9`}, 0},
		{"exit code passed on", []string{"sh", "-c", "exit 3"}, 3},
		{"missing command", []string{"/no/such/command"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(0, "", tc.args); got != tc.want {
				t.Errorf("run = %d, want %d", got, tc.want)
			}
		})
	}
}
