package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
)

// describeStub is DynamoDB answering DescribeTable in-process over HTTP, so
// the real SDK client's serialisation, signing and HTTP round trip are in
// the measurement.
func describeStub(b *testing.B) (*dynamodb.Client, *int) {
	calls := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.DescribeTable" {
			http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), 400)
			return
		}
		*calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{"Table":{"TableName":"tickets","TableStatus":"ACTIVE","ItemCount":0}}`)
	}))
	b.Cleanup(srv.Close)
	return dynamodb.NewFromConfig(aws.Config{
		Region:      "eu-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) }), calls
}

// BenchmarkHealth measures one GET /health through Invoke, from the raw
// event to the API Gateway response: shallow (no AWS call) and ?deep=1 (one
// DescribeTable per request, the cache disabled).
func BenchmarkHealth(b *testing.B) {
	testutil.LambdaHeap(b, "health")
	raw := eventfile.Read(b, "health.json", nil)
	deepRaw := eventfile.Read(b, "health-deep.json", nil)
	db, calls := describeStub(b)
	cases := []struct {
		name   string
		event  []byte
		status int
		aws    bool
	}{
		{"shallow", raw, 200, false},
		{"deep", deepRaw, 200, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var logs bytes.Buffer
			h := newHandler(db, &logs)
			h.Prober.Timeout = time.Second
			*calls = 0
			b.ReportAllocs()
			for b.Loop() {
				logs.Reset()
				out, err := h.Invoke(context.Background(), tc.event)
				if err != nil {
					b.Fatal(err)
				}
				if resp := out.(events.APIGatewayV2HTTPResponse); resp.StatusCode != tc.status || !strings.Contains(resp.Body, `"status":"ok"`) {
					b.Fatalf("%d %s", resp.StatusCode, resp.Body)
				}
			}
			b.ReportMetric(float64(*calls)/float64(b.N), "aws-calls/op")
			if tc.aws && *calls == 0 {
				b.Fatal("deep check made no DescribeTable call")
			}
		})
	}
}
