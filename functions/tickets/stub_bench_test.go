package main

import (
	"bytes"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/levqor/serverless/shared/awsconfig"
)

// memStub is an in-process HTTP stub: the SDK client's HTTPClient, so a
// request is serialised, signed and sent exactly as in production (to the
// real regional endpoint the SDK resolves) but answered without a socket.
type memStub struct {
	calls atomic.Int64
}

func (s *memStub) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	s.calls.Add(1)
	body := []byte(`{}`)
	// DynamoDB sends the CRC32 of every body and the client checks it:
	// sending it keeps that check in the measured path.
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    200,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "Content-Length": {strconv.Itoa(len(body))}, "X-Amz-Crc32": {crc}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// memDynamo is the DynamoDB client as main builds it (shared/awsconfig,
// one attempt per call) with the in-process stub as its HTTP client.
func memDynamo(tb testing.TB, stub *memStub) *dynamodb.Client {
	tb.Helper()
	env := map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench"}
	cfg, err := awsconfig.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = stub
	})
}
