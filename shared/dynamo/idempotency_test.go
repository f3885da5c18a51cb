package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newIdempotency(t *testing.T) (*dynamo.Idempotency, *dynamodb.Client, *clock) {
	c := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, c)
	// The fake clock starts at the real time: DynamoDB Local applies the
	// table's TTL, so records written "in the past" vanish.
	clk := &clock{t: time.Now()}
	return &dynamo.Idempotency{Client: c, Table: table, Now: clk.now}, c, clk
}

func record(t *testing.T, c *dynamodb.Client, table string, k idempotency.Key) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: dynamo.IdempotencyPrefix + k.Scope + "#" + k.Value},
			"sk": &types.AttributeValueMemberS{Value: dynamo.IdempotencySK},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func code(err error) problem.Code {
	var pe *problem.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestIdempotencyLifecycle(t *testing.T) {
	s, c, clk := newIdempotency(t)
	ctx := context.Background()
	k := idempotency.Key{Scope: idempotency.Scope("ip", "198.51.100.1"), Value: "key-1"}
	first := idempotency.Response{Status: 201, Body: []byte(`{"status":"received","ticket_id":"TKT-00000001"}`)}

	lease, replay, err := s.Begin(ctx, k, "fp-A")
	if err != nil || lease == nil || replay != nil {
		t.Fatalf("first Begin = %v, %v, %v; want a lease", lease, replay, err)
	}
	t.Run("same request while in flight is 409", func(t *testing.T) {
		_, _, err := s.Begin(ctx, k, "fp-A")
		if code(err) != problem.IdempotencyInFlight {
			t.Fatalf("err = %v, want 409", err)
		}
	})
	t.Run("different request while in flight is 422", func(t *testing.T) {
		_, _, err := s.Begin(ctx, k, "fp-B")
		if code(err) != problem.IdempotencyMismatch {
			t.Fatalf("err = %v, want 422", err)
		}
	})
	if err := s.Complete(ctx, lease, first); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	before := record(t, c, s.Table, k)
	t.Run("same request after completion replays byte for byte", func(t *testing.T) {
		l, replay, err := s.Begin(ctx, k, "fp-A")
		if err != nil || l != nil || replay == nil {
			t.Fatalf("Begin = %v, %v, %v; want a replay", l, replay, err)
		}
		if replay.Status != first.Status || string(replay.Body) != string(first.Body) {
			t.Fatalf("replay = %d %s, want %d %s", replay.Status, replay.Body, first.Status, first.Body)
		}
	})
	t.Run("different request after completion is 422 and writes nothing", func(t *testing.T) {
		_, _, err := s.Begin(ctx, k, "fp-B")
		if code(err) != problem.IdempotencyMismatch {
			t.Fatalf("err = %v, want 422", err)
		}
		after := record(t, c, s.Table, k)
		if after["fingerprint"].(*types.AttributeValueMemberS).Value != "fp-A" ||
			after["token"].(*types.AttributeValueMemberS).Value != before["token"].(*types.AttributeValueMemberS).Value {
			t.Fatal("the 422 path changed the stored record")
		}
	})
	t.Run("another client with the same key cannot see the response", func(t *testing.T) {
		other := idempotency.Key{Scope: idempotency.Scope("ip", "198.51.100.2"), Value: k.Value}
		l, replay, err := s.Begin(ctx, other, "fp-A")
		if err != nil || replay != nil || l == nil {
			t.Fatalf("Begin in another scope = %v, %v, %v; want its own lease", l, replay, err)
		}
	})
	t.Run("after the window the key is new again", func(t *testing.T) {
		clk.t = clk.t.Add(idempotency.DefaultTTL + time.Second)
		l, replay, err := s.Begin(ctx, k, "fp-B")
		if err != nil || replay != nil || l == nil {
			t.Fatalf("Begin after expiry = %v, %v, %v; want a lease", l, replay, err)
		}
	})
}

func TestIdempotencyReleaseFreesTheKey(t *testing.T) {
	s, c, _ := newIdempotency(t)
	ctx := context.Background()
	k := idempotency.Key{Scope: idempotency.Scope("sub", "user-1"), Value: "key-2"}
	lease, _, err := s.Begin(ctx, k, "fp")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, lease); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if item := record(t, c, s.Table, k); item != nil {
		t.Fatalf("record still there: %v", item)
	}
	if l, _, err := s.Begin(ctx, k, "fp"); err != nil || l == nil {
		t.Fatalf("retry after release = %v, %v", l, err)
	}
	t.Run("a stale lease cannot release the new holder's record", func(t *testing.T) {
		if err := s.Release(ctx, lease); err != nil {
			t.Fatal(err)
		}
		if record(t, c, s.Table, k) == nil {
			t.Fatal("stale lease deleted the live record")
		}
		if err := s.Complete(ctx, lease, idempotency.Response{Status: 201}); err == nil {
			t.Fatal("stale lease completed the live record")
		}
	})
}

// TestInProgressExpiry is the backstop when a crashed invocation never
// released its record: once the in-progress expiry (the invocation's
// deadline) passes, the key can be claimed again.
func TestIdempotencyInProgressExpiry(t *testing.T) {
	s, _, clk := newIdempotency(t)
	k := idempotency.Key{Scope: idempotency.Scope("ip", "192.0.2.1"), Value: "key-3"}
	ctx, cancel := context.WithDeadline(context.Background(), clk.t.Add(10*time.Second))
	defer cancel()
	if _, _, err := s.Begin(ctx, k, "fp"); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	clk.t = clk.t.Add(9 * time.Second)
	if _, _, err := s.Begin(bg, k, "fp"); code(err) != problem.IdempotencyInFlight {
		t.Fatalf("before the in-progress expiry: %v, want 409", err)
	}
	clk.t = clk.t.Add(2 * time.Second)
	if l, _, err := s.Begin(bg, k, "fp"); err != nil || l == nil {
		t.Fatalf("after the in-progress expiry: %v, %v; want a lease", l, err)
	}
}
