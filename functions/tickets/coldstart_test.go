package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/warmup"
)

// TestColdStartMetric: a cold warm-up (what the keepalive sends after a
// deployment) counts the cold start once, as an EMF record on the metrics
// writer; a warm one adds nothing.
func TestColdStartMetric(t *testing.T) {
	e := newEnvWith(t, nil, nil, "unused") // a warm-up must not touch DynamoDB
	var emf bytes.Buffer
	e.h.ServiceName, e.h.Metrics = "levqor", &metrics.Writer{W: &emf}
	cold := true
	e.h.ColdStart = func() bool { c := cold; cold = false; return c }
	for _, wantCold := range []bool{true, false} {
		out, err := e.h.Invoke(context.Background(), []byte(warmup.Payload))
		if w, ok := out.(warmup.Response); err != nil || !ok || w.Cold != wantCold {
			t.Fatalf("warm-up answer %#v, %v; want cold %v", out, err, wantCold)
		}
	}
	if n := strings.Count(emf.String(), `"ColdStart":1`); n != 1 || !strings.Contains(emf.String(), `"FunctionName":"tickets"`) {
		t.Errorf("%d ColdStart records: %s", n, emf.String())
	}
}
