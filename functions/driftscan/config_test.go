package main

import (
	"testing"

	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/envconfig"
)

// TestConfigDocumented: the variables this function reads, their defaults,
// README's configuration table and template.yaml's environment agree.
func TestConfigDocumented(t *testing.T) {
	r := envconfig.Source(func(string) string { return "" }).Reader()
	b, err := drift.Current()
	if err != nil {
		t.Fatal(err)
	}
	readSettings(r, b)
	testutil.CheckConfigDocs(t, "driftscan", r.Vars())
}
