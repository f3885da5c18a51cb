package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
)

func benchHandler() *Handler {
	return &Handler{
		Function: "clientlogs", ServiceName: "levqor",
		Logger:    logging.New(io.Discard, "levqor", "clientlogs"),
		Metrics:   &metrics.Writer{W: io.Discard},
		ColdStart: func() bool { return false },
		Script:    NewScript(),
	}
}

// BenchmarkIngest is the cost of one full batch (events/clientlogs-full.json:
// 50 records) once the request is decoded: parsing, scrubbing, one log
// line per record (the function's own logger) and the metric line. The
// alert gate, a DynamoDB write for a new error fingerprint only, is left
// out; BenchmarkIngestInvoke adds the Lambda event's decoding.
func BenchmarkIngest(b *testing.B) {
	testutil.LambdaHeap(b, "clientlogs")
	h := benchHandler()
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(eventfile.Read(b, "clientlogs-full.json", nil), &req); err != nil {
		b.Fatal(err)
	}
	l := h.Logger
	b.Run("batch-50", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ans, err := h.ingest(context.Background(), req, "cid", l); err != nil || ans.Accepted != 50 {
				b.Fatal(ans, err)
			}
		}
	})
}

// BenchmarkIngestInvoke is BenchmarkIngest through Invoke: the API Gateway event
// (its 29 KB body a JSON string) decoded by the edge first.
func BenchmarkIngestInvoke(b *testing.B) {
	testutil.LambdaHeap(b, "clientlogs")
	h := benchHandler()
	event := eventfile.Read(b, "clientlogs-full.json", nil)
	b.Run("batch-50", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Invoke(context.Background(), event); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkClientLoggerScript reports the served module's size: minified
// (as embedded) and gzip-encoded (as a browser that accepts gzip gets it).
func BenchmarkClientLoggerScript(b *testing.B) {
	testutil.LambdaHeap(b, "clientlogs")
	s := NewScript()
	for b.Loop() {
		_ = s.Gzipped()
	}
	b.ReportMetric(float64(len(s.Body)), "min-B")
	b.ReportMetric(float64(s.Gzipped()), "gzip-B")
}
