package clientlogs

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/logging"
)

// fullBatch is the body of events/clientlogs-full.json: 50 records (the
// limit) with stacks, contexts, addresses, tokens and phone numbers.
func fullBatch(tb testing.TB) []byte {
	tb.Helper()
	var ev struct{ Body string }
	if err := json.Unmarshal(eventfile.Read(tb, "clientlogs-full.json", nil), &ev); err != nil {
		tb.Fatal(err)
	}
	return []byte(ev.Body)
}

// BenchmarkBatchParse is Parse of the full batch: decoding, checks, scrubbing
// and fingerprints.
func BenchmarkBatchParse(b *testing.B) {
	testutil.LambdaHeap(b, "clientlogs")
	body := string(fullBatch(b))
	b.Run("batch-50", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := Parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBatchScrub is most of the scrubber's share of BenchmarkBatchParse:
// Scrub over the full batch's messages, stacks and page URLs (the bulk of
// its text; context values, releases and session ids are left out).
func BenchmarkBatchScrub(b *testing.B) {
	testutil.LambdaHeap(b, "clientlogs")
	var w struct {
		Records []struct{ Message, Stack, URL string } `json:"records"`
	}
	if err := json.Unmarshal(fullBatch(b), &w); err != nil {
		b.Fatal(err)
	}
	var strs []string
	for _, r := range w.Records {
		strs = append(strs, r.Message, r.Stack, r.URL)
	}
	b.Run("batch-50", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range strs {
				_ = Scrub(s)
			}
		}
	})
}

// BenchmarkBatchLog is the log lines of the full batch, one per record,
// through the functions' own logger with an invocation's ids.
func BenchmarkBatchLog(b *testing.B) {
	testutil.LambdaHeap(b, "clientlogs")
	batch, err := Parse(string(fullBatch(b)))
	if err != nil {
		b.Fatal(err)
	}
	l := logging.Invocation(logging.New(io.Discard, "levqor", "clientlogs"), "request-id", "correlation-id", false)
	ctx := context.Background()
	b.Run("batch-50", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range batch.Records {
				Log(ctx, l, r)
			}
		}
	})
}
