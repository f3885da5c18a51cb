package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/awsbus"
	"github.com/levqor/serverless/shared/awsretry"
	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/retry"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/triage"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

// fastRetry keeps failure tests quick; the production policy
// (retry.Default) differs only in its waits.
var fastRetry = retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

// env is a handler wired as main wires it, against DynamoDB Local.
type env struct {
	h     *Handler
	db    *dynamodb.Client
	table string
	logs  *testutil.SyncBuffer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, db)
	return newEnvWith(t, db, db, table)
}

// newEnvWith lets a test point the ticket store and the idempotency store at
// different endpoints (one failing, one working).
func newEnvWith(t testing.TB, ticketDB, idemDB *dynamodb.Client, table string) *env {
	logs := &testutil.SyncBuffer{}
	h := &Handler{
		Function: "tickets",
		Logger:   logging.New(logs, "levqor", "tickets"),
		Service: &tickets.Service{
			Store:    &dynamo.Tickets{Client: ticketDB, Table: table},
			Router:   triage.Rules{},
			Calendar: bizhours.Default(),
		},
		Publisher: eventbus.Publisher(nil),
		ColdStart: func() bool { return false },
	}
	return &env{h: h, db: ticketDB, table: table, logs: logs}
}

// sdkDynamo is a DynamoDB client with the one retry policy (fast waits)
// for an arbitrary endpoint.
func sdkDynamo(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
		Retryer:      awsretry.Retryer(fastRetry),
	})
}

// httpEvent decodes the HTTP API request in events/<name>.
func httpEvent(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(eventfile.Read(t, name, nil), &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

func (e *env) invoke(t testing.TB, raw []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := e.h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("Invoke returned a Go error for an HTTP request: %v", err)
	}
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		t.Fatalf("Invoke returned %T, want an HTTP response", out)
	}
	return resp
}

func (e *env) send(t testing.TB, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return e.invoke(t, raw)
}

// ticketItems returns every ticket item in the table.
func (e *env) ticketItems(t testing.TB) []map[string]types.AttributeValue {
	t.Helper()
	out, err := e.db.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(e.table),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: dynamo.TicketPrefix}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out.Items
}

func (e *env) ticket(t testing.TB, id string) tickets.Ticket {
	t.Helper()
	for _, it := range e.ticketItems(t) {
		if v, ok := it["ticket_id"].(*types.AttributeValueMemberS); ok && v.Value == id {
			tk, err := dynamo.TicketFromItem(it)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
	}
	t.Fatalf("ticket %s not stored", id)
	return tickets.Ticket{}
}

// busStub speaks EventBridge's PutEvents (awsJson1_1) and can be told to
// fail whole calls. It keeps the detail of every accepted entry.
type busStub struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failing  bool
	failCall int // when > 0, fail only the call with this number (1-based)
	calls    int
	accepted []tickets.Created
	raw      []string
}

func newBusStub(t testing.TB) *busStub {
	b := &busStub{}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *busStub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"__type":"UnknownOperationException"}`))
		return
	}
	if b.failing || b.failCall == b.calls {
		w.WriteHeader(500)
		_, _ = w.Write([]byte(`{"__type":"InternalException","message":"injected outage"}`))
		return
	}
	var in struct {
		Entries []struct {
			Source, DetailType, Detail, EventBusName string
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		w.WriteHeader(400)
		return
	}
	var out bytes.Buffer
	out.WriteString(`{"FailedEntryCount":0,"Entries":[`)
	for i, e := range in.Entries {
		var d tickets.Created
		_ = json.Unmarshal([]byte(e.Detail), &d)
		b.accepted = append(b.accepted, d)
		b.raw = append(b.raw, e.Source+"|"+e.DetailType+"|"+e.EventBusName+"|"+e.Detail)
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(`{"EventId":"` + strconv.Itoa(len(b.accepted)) + `"}`)
	}
	out.WriteString(`]}`)
	_, _ = w.Write(out.Bytes())
}

func (b *busStub) bus() *awsbus.Bus {
	return &awsbus.Bus{
		Name: "levqor-test",
		Client: eventbridge.New(eventbridge.Options{
			Region:           "eu-west-2",
			BaseEndpoint:     aws.String(b.srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider("x", "x", ""),
			RetryMaxAttempts: 1,
		}),
	}
}
