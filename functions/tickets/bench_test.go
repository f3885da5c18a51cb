package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/triage"
)

// awsStub answers every DynamoDB call with an empty success and counts the
// calls by X-Amz-Target, so a benchmark measures this code plus the real
// SDK's serialisation, signing and HTTP round trip, and reports how many AWS
// calls one request makes.
type awsStub struct {
	srv   *httptest.Server
	calls atomic.Int64
}

func newAWSStub(b *testing.B) *awsStub {
	s := &awsStub{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	b.Cleanup(s.srv.Close)
	return s
}

// goDefaultGC gives the benchmark Go's default garbage collector (GOGC=100,
// no memory limit) until it ends.
func goDefaultGC(b *testing.B) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	b.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
}

// benchHandler is the tickets handler as main builds it, storing through db
// and logging to nowhere.
func benchHandler(db *dynamodb.Client) *Handler {
	return &Handler{
		Function: "tickets",
		Logger:   logging.New(io.Discard, "levqor", "tickets"),
		Service: &tickets.Service{
			Store:    &dynamo.Tickets{Client: db, Table: "bench"},
			Router:   triage.Rules{},
			Calendar: bizhours.Default(),
		},
		ColdStart: func() bool { return false },
	}
}

// BenchmarkCreateTicket is one POST through Invoke (event JSON in, response
// out) with DynamoDB answered by an in-process HTTP stub (memStub): the real
// SDK client, built as main builds it, serialises, signs, resolves the
// regional endpoint and checks the response CRC, but no socket is opened.
// Without an Idempotency-Key the request makes exactly one AWS call, the
// conditional PutItem; with one, one TransactWriteItems (the ticket and the
// key's record). idempotency-key-3writes is the previous design measured
// beside it: a lease PutItem, the ticket's PutItem and an UpdateItem
// completing the key (legacyStore). No EventBridge call is on this path:
// TicketCreated leaves through the table's stream. seed-loopback is seed
// with the stub behind a loopback HTTP server instead, to show what a
// socket round trip adds on this machine. Every case runs with the garbage
// collector the function runs with (shared/heap) but seed-default-gc, which
// is seed with Go's defaults.
func BenchmarkCreateTicket(b *testing.B) {
	seed, err := json.Marshal(httpEvent(b, "tickets.json"))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name      string
		key       bool
		loopback  bool
		legacy    bool
		defaultGC bool
	}{
		{"seed", false, false, false, false},
		{"seed-default-gc", false, false, false, true},
		{"idempotency-key", true, false, false, false},
		{"idempotency-key-3writes", true, false, true, false},
		{"seed-loopback", false, true, false, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if tc.defaultGC {
				goDefaultGC(b)
			} else {
				testutil.LambdaHeap(b, "tickets")
			}
			mem := &memStub{}
			calls, db := mem.calls.Load, memDynamo(b, mem)
			if tc.loopback {
				stub := newAWSStub(b)
				calls, db = stub.calls.Load, sdkDynamo(stub.srv.URL)
			}
			h := benchHandler(db)
			if tc.legacy {
				h.Service.Store = &legacyStore{tickets: &dynamo.Tickets{Client: db, Table: "bench"}, idem: &dynamo.Idempotency{Client: db, Table: "bench"}}
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				raw := seed
				if tc.key {
					b.StopTimer()
					req := httpEvent(b, "tickets.json")
					req.Headers["idempotency-key"] = "bench-" + strconv.Itoa(i)
					raw, _ = json.Marshal(req)
					b.StartTimer()
				}
				out, err := h.Invoke(ctx, raw)
				if err != nil || out.(events.APIGatewayV2HTTPResponse).StatusCode != 201 {
					b.Fatalf("invoke: %v %+v", err, out)
				}
			}
			b.ReportMetric(float64(calls())/float64(b.N), "aws-calls/op")
		})
	}
}

// BenchmarkStreamPublish is one stream batch of 10 new tickets turned into
// TicketCreated events: one PutEvents call through the real EventBridge
// client to an in-process stub.
func BenchmarkStreamPublish(b *testing.B) {
	testutil.LambdaHeap(b, "tickets")
	bus := newBusStub(b)
	h := benchHandler(sdkDynamo("http://127.0.0.1:1"))
	h.Publisher = bus.bus()
	var one events.DynamoDBEvent
	if err := json.Unmarshal(eventfile.Read(b, "tickets-stream.json", nil), &one); err != nil {
		b.Fatal(err)
	}
	var batch events.DynamoDBEvent
	for len(batch.Records) < 10 {
		batch.Records = append(batch.Records, one.Records...)
	}
	raw, _ := json.Marshal(batch)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.Invoke(ctx, raw)
		if err != nil || len(out.(events.DynamoDBEventResponse).BatchItemFailures) != 0 {
			b.Fatalf("invoke: %v %+v", err, out)
		}
	}
	bus.mu.Lock()
	calls := bus.calls
	bus.mu.Unlock()
	b.ReportMetric(float64(calls)/float64(b.N), "aws-calls/op")
}

// BenchmarkPutItemFloor is the reference for BenchmarkCreateTicket/seed:
// the same conditional PutItem of the same ticket through the same SDK
// client and in-process stub, with nothing of the handler around it. The
// difference between the two is what this function adds per request.
func BenchmarkPutItemFloor(b *testing.B) {
	testutil.LambdaHeap(b, "tickets")
	stub := &memStub{}
	s := &dynamo.Tickets{Client: memDynamo(b, stub), Table: "bench"}
	var one events.DynamoDBEvent
	if err := json.Unmarshal(eventfile.Read(b, "tickets-stream.json", nil), &one); err != nil {
		b.Fatal(err)
	}
	tk, err := dynamo.TicketFromItem(itemOf(one.Records[0].Change.NewImage))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(ctx, &tk); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(stub.calls.Load())/float64(b.N), "aws-calls/op")
}

// legacyStore is the previous idempotent create, for the benchmark only:
// claim the key with an in-progress record, write the ticket, complete the
// key with the response (three sequential writes).
type legacyStore struct {
	tickets *dynamo.Tickets
	idem    *dynamo.Idempotency
}

func (l *legacyStore) Put(ctx context.Context, t *tickets.Ticket) error { return l.tickets.Put(ctx, t) }

func (l *legacyStore) PutWithKey(ctx context.Context, t *tickets.Ticket, k idempotency.Key, rec idempotency.Record) error {
	lease, replay, err := l.idem.Begin(ctx, k, rec.Fingerprint)
	if err != nil {
		return err
	}
	if replay != nil {
		return &idempotency.TakenError{Record: idempotency.Record{Fingerprint: rec.Fingerprint, Response: *replay}}
	}
	if err := l.tickets.Put(ctx, t); err != nil {
		return err
	}
	return l.idem.Complete(ctx, lease, rec.Response)
}
