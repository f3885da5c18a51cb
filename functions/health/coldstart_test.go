package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/shared/metrics"
)

// TestColdStartMetric: the first invocation of an environment writes one
// Levqor/Lambda ColdStart EMF record naming this function; later ones write
// none.
func TestColdStartMetric(t *testing.T) {
	var emf bytes.Buffer
	h := newHandler(&stubDB{}, nil)
	h.ServiceName, h.Metrics = "levqor", &metrics.Writer{W: &emf}
	cold := true
	h.ColdStart = func() bool { c := cold; cold = false; return c }
	for range 3 {
		if resp := invokeHTTP(t, h, eventfile.Read(t, "health.json", nil)); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	out := emf.String()
	if n := strings.Count(out, `"ColdStart":1`); n != 1 {
		t.Fatalf("%d ColdStart records: %s", n, out)
	}
	for _, want := range []string{`"Namespace":"Levqor/Lambda"`, `"FunctionName":"health"`, `"Service":"levqor"`} {
		if !strings.Contains(out, want) {
			t.Errorf("record lacks %s: %s", want, out)
		}
	}
}
