package dynamo_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/awsretry"
	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/retry"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/triage"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

func sample(id string) *tickets.Ticket {
	created := time.Date(2026, 3, 6, 15, 4, 5, 0, time.UTC)
	return &tickets.Ticket{
		ID: id, Subject: "Invoice wrong", Body: "Line 1\r\nLine 2 ✓", Tier: tiers.Growth,
		TierSource: tickets.Claimed, Email: "a@example.com", Status: tickets.StatusOpen,
		Priority: tiers.High, SLAHours: 12, SLADueAt: created.Add(48 * time.Hour), CreatedAt: created,
		Routing:         tickets.Routing{AIRouted: true, Category: "billing", Queue: "ai-billing", Confidence: 0.75, Rule: "billing-keywords"},
		HumanEscalation: true, CorrelationID: "cid-12345678",
	}
}

func getItem(t *testing.T, c *dynamodb.Client, table, id string) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: dynamo.TicketPrefix + id}, "sk": &types.AttributeValueMemberS{Value: dynamo.TicketSK}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	return out.Item
}

func TestTicketsPutStoresEveryField(t *testing.T) {
	c := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, c)
	s := &dynamo.Tickets{Client: c, Table: table}
	tests := []struct {
		name string
		t    *tickets.Ticket
	}{
		{"full", sample("TKT-0000000A")},
		{"no email, unrouted", func() *tickets.Ticket {
			x := sample("TKT-0000000B")
			x.Email, x.Routing = "", tickets.Routing{}
			return x
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Put(context.Background(), tc.t); err != nil {
				t.Fatalf("Put: %v", err)
			}
			item := getItem(t, c, table, tc.t.ID)
			got, err := dynamo.TicketFromItem(item)
			if err != nil {
				t.Fatalf("FromItem: %v", err)
			}
			if !reflect.DeepEqual(&got, tc.t) {
				t.Errorf("stored ticket differs:\n got %+v\nwant %+v", got, *tc.t)
			}
			if _, ok := item["expires_at"]; ok {
				t.Error("ticket carries the TTL attribute; tickets must not expire")
			}
		})
	}
}

func TestTicketsPutNeverOverwrites(t *testing.T) {
	c := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, c)
	s := &dynamo.Tickets{Client: c, Table: table}
	first := sample("TKT-00000001")
	if err := s.Put(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	t.Run("same ticket again is the lost-answer retry", func(t *testing.T) {
		if err := s.Put(context.Background(), first); err != nil {
			t.Fatalf("re-putting the identical item: %v", err)
		}
	})
	t.Run("another ticket with the id", func(t *testing.T) {
		other := sample("TKT-00000001")
		other.Subject = "Someone else"
		if err := s.Put(context.Background(), other); !errors.Is(err, tickets.ErrIDTaken) {
			t.Fatalf("Put = %v, want ErrIDTaken", err)
		}
		got, _ := dynamo.TicketFromItem(getItem(t, c, table, first.ID))
		if got.Subject != first.Subject {
			t.Fatalf("existing ticket overwritten: subject %q", got.Subject)
		}
	})
}

// TestServiceDrawsNewIDOnCollision injects a generator that first returns an
// id already in the table.
func TestServiceDrawsNewIDOnCollision(t *testing.T) {
	c := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, c)
	store := &dynamo.Tickets{Client: c, Table: table}
	taken := sample("TKT-AAAAAAAA")
	if err := store.Put(context.Background(), taken); err != nil {
		t.Fatal(err)
	}
	ids := []string{"TKT-AAAAAAAA", "TKT-AAAAAAAA", "TKT-BBBBBBBB"}
	var draws int
	svc := &tickets.Service{
		Store:    store,
		Router:   triage.Rules{},
		Calendar: bizhours.Default(),
		Now:      func() time.Time { return time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) },
		NewID:    func() string { id := ids[draws]; draws++; return id },
	}
	res, err := svc.Create(context.Background(), tickets.Request{Subject: "S", Body: "B", Tier: tiers.Agency, TierGiven: true}, tickets.Meta{CorrelationID: "cid-abcdefgh"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if res.TicketID != "TKT-BBBBBBBB" || draws != 3 {
		t.Fatalf("ticket %s after %d draws, want TKT-BBBBBBBB after 3", res.TicketID, draws)
	}
	if got, _ := dynamo.TicketFromItem(getItem(t, c, table, "TKT-AAAAAAAA")); got.Subject != taken.Subject {
		t.Fatal("colliding id overwrote the existing ticket")
	}
	if got, err := dynamo.TicketFromItem(getItem(t, c, table, "TKT-BBBBBBBB")); err != nil || got.Tier != tiers.Agency {
		t.Fatalf("new ticket = %+v, %v", got, err)
	}
}

// failingDynamo answers every call with one error in DynamoDB's JSON
// protocol and counts the calls.
func failingDynamo(t *testing.T, status int, errType string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#` + errType + `","message":"injected"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// client has the one retry policy (shared/awsconfig), with fast waits.
func client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
		Retryer:      awsretry.Retryer(retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}),
	})
}

func TestTicketsPutRetriesThenAnswersUnavailable(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	tests := []struct {
		name      string
		status    int
		errType   string
		wantCode  problem.Code
		wantCalls int32
	}{
		{"500", 500, "InternalServerError", problem.Unavailable, 3},
		{"throttled", 400, "ThrottlingException", problem.Unavailable, 3},
		{"provisioned throughput", 400, "ProvisionedThroughputExceededException", problem.Unavailable, 3},
		{"conditional check is not retried", 400, "ConditionalCheckFailedException", "", 1},
		{"validation is a bug, not an outage", 400, "ValidationException", problem.Internal, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := failingDynamo(t, tc.status, tc.errType)
			s := &dynamo.Tickets{Client: client(srv.URL), Table: "t"}
			err := s.Put(context.Background(), sample("TKT-00000009"))
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if tc.wantCode == "" {
				if !errors.Is(err, tickets.ErrIDTaken) {
					t.Fatalf("err = %v, want ErrIDTaken", err)
				}
				return
			}
			checkProblem(t, err, tc.wantCode)
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		s := &dynamo.Tickets{Client: client(closed), Table: "t"}
		checkProblem(t, s.Put(context.Background(), sample("TKT-00000009")), problem.Unavailable)
	})
	t.Run("deadline", func(t *testing.T) {
		stop := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select { // hang like an overloaded endpoint
			case <-r.Context().Done():
			case <-stop:
			}
		}))
		defer srv.Close()
		defer close(stop)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		s := &dynamo.Tickets{Client: client(srv.URL), Table: "t"}
		start := time.Now()
		checkProblem(t, s.Put(ctx, sample("TKT-00000009")), problem.Unavailable)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Put returned %v after the deadline", d)
		}
	})
}

func checkProblem(t *testing.T, err error, code problem.Code) {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("err = %v, want a %s problem", err, code)
	}
	if code == problem.Unavailable {
		if _, retryAfter := problem.From(err, ""); retryAfter <= 0 {
			t.Error("503 without Retry-After")
		}
	}
}

func TestTicketFromItemRefusesBrokenItems(t *testing.T) {
	good := dynamo.TicketItem(sample("TKT-0000000C"))
	tests := []struct {
		name   string
		mutate func(map[string]types.AttributeValue)
	}{
		{"missing id", func(m map[string]types.AttributeValue) { delete(m, "ticket_id") }},
		{"sla_hours not a number", func(m map[string]types.AttributeValue) {
			m["sla_hours"] = &types.AttributeValueMemberS{Value: "12"}
		}},
		{"created_at not a time", func(m map[string]types.AttributeValue) {
			m["created_at"] = &types.AttributeValueMemberS{Value: "yesterday"}
		}},
		{"ai_routed missing", func(m map[string]types.AttributeValue) { delete(m, "ai_routed") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]types.AttributeValue{}
			for k, v := range good {
				m[k] = v
			}
			tc.mutate(m)
			if _, err := dynamo.TicketFromItem(m); err == nil {
				t.Fatal("FromItem accepted a broken item")
			}
		})
	}
}

// TestWritersCoverEveryPrefix: every record type's partition prefix is
// written by exactly one function, so the template's IAM conditions
// (checked against Writers) cover the whole key layout.
func TestWritersCoverEveryPrefix(t *testing.T) {
	owner := map[string]string{}
	for fn, prefixes := range dynamo.Writers {
		for _, p := range prefixes {
			if other, ok := owner[p]; ok {
				t.Errorf("%s is written by %s and %s", p, other, fn)
			}
			owner[p] = fn
		}
	}
	for _, p := range []string{dynamo.TicketPrefix, dynamo.IdempotencyPrefix, dynamo.TargetPrefix, dynamo.DriftPrefix} {
		if owner[p] == "" {
			t.Errorf("no function writes %s", p)
		}
	}
	if !strings.HasPrefix(dynamo.DriftReportPK, dynamo.DriftPrefix) {
		t.Errorf("DriftReportPK %s outside %s", dynamo.DriftReportPK, dynamo.DriftPrefix)
	}
}

// TestTicketsPutWithKey: the ticket and the key's record go in together or
// not at all, and each reason a transaction is cancelled maps to its answer.
func TestTicketsPutWithKey(t *testing.T) {
	c := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, c)
	now := time.Now()
	s := &dynamo.Tickets{Client: c, Table: table, Now: func() time.Time { return now }}
	ctx := context.Background()
	key := idempotency.Key{Scope: idempotency.Scope("ip", "192.0.2.7"), Value: "k"}
	rec := idempotency.Record{Fingerprint: "fp", Response: idempotency.Response{Status: 201, Body: []byte(`{"ticket_id":"TKT-0000000A"}`)}}

	if err := s.PutWithKey(ctx, sample("TKT-0000000A"), key, rec); err != nil {
		t.Fatalf("first: %v", err)
	}
	t.Run("key taken: the stored record comes back, nothing else is written", func(t *testing.T) {
		err := s.PutWithKey(ctx, sample("TKT-0000000B"), key, idempotency.Record{Fingerprint: "other"})
		var taken *idempotency.TakenError
		if !errors.As(err, &taken) || taken.Record.Fingerprint != "fp" || taken.Record.Response.Status != 201 ||
			string(taken.Record.Response.Body) != string(rec.Response.Body) {
			t.Fatalf("err = %v (%+v), want the stored record", err, taken)
		}
		if getItem(t, c, table, "TKT-0000000B") != nil {
			t.Fatal("the second ticket was written")
		}
	})
	t.Run("id taken: ErrIDTaken, the key stays free", func(t *testing.T) {
		k2 := idempotency.Key{Scope: key.Scope, Value: "k2"}
		if err := s.PutWithKey(ctx, sample("TKT-0000000A"), k2, rec); !errors.Is(err, tickets.ErrIDTaken) {
			t.Fatalf("err = %v, want ErrIDTaken", err)
		}
		if err := s.PutWithKey(ctx, sample("TKT-0000000C"), k2, rec); err != nil {
			t.Fatalf("the key was half-written: %v", err)
		}
	})
	t.Run("an expired record is replaced", func(t *testing.T) {
		later := &dynamo.Tickets{Client: c, Table: table, Now: func() time.Time { return now.Add(idempotency.DefaultTTL + time.Minute) }}
		if err := later.PutWithKey(ctx, sample("TKT-0000000D"), key, idempotency.Record{Fingerprint: "fp2"}); err != nil {
			t.Fatalf("err = %v, want the expired key reused", err)
		}
	})
	t.Run("DynamoDB unreachable is 503", func(t *testing.T) {
		down := &dynamo.Tickets{Client: client("http://127.0.0.1:1"), Table: table}
		checkProblem(t, down.PutWithKey(ctx, sample("TKT-0000000E"), key, rec), problem.Unavailable)
	})
}
