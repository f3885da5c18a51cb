package main

import (
	"testing"

	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/envconfig"
)

// TestConfigDocumented: the variables this function reads, their defaults,
// README's configuration table and template.yaml's environment agree.
func TestConfigDocumented(t *testing.T) {
	r := envconfig.Source(func(string) string { return "" }).Reader()
	readSettings(r)
	testutil.CheckConfigDocs(t, "clientlogs", r.Vars())
}
