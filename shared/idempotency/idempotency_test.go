package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

func TestParseKey(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324", true},
		{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, "8e03978e-40d5-43e8-bc93-6894a57f9324", true}, // structured-field string, as the draft sends it
		{"01HZX3J8K9Q2", "01HZX3J8K9Q2", true},
		{"a", "a", true},
		{"YWJj+/=.:~_-", "YWJj+/=.:~_-", true},
		{strings.Repeat("k", idempotency.MaxKeyLen), strings.Repeat("k", idempotency.MaxKeyLen), true},
		{strings.Repeat("k", idempotency.MaxKeyLen+1), "", false},
		{"", "", false},
		{`""`, "", false},
		{"has space", "", false},
		{"new\nline", "", false},
		{"hash#sign", "", false}, // # separates the record key's parts
		{"ünï", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := idempotency.ParseKey(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("ParseKey(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil {
				var pe *problem.Error
				if !errors.As(err, &pe) || pe.Code != problem.Validation || pe.Fields[0].Field != idempotency.Header {
					t.Errorf("error %v does not name the header", err)
				}
			}
		})
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"abc", `"abc"`, "", `"`, "a b", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := idempotency.ParseKey(s)
		if err != nil {
			return
		}
		if k == "" || len(k) > idempotency.MaxKeyLen || strings.ContainsAny(k, "#\" \r\n") {
			t.Fatalf("accepted key %q", k)
		}
	})
}

func TestScopeSeparatesCallers(t *testing.T) {
	a, b := idempotency.Scope("ip", "203.0.113.7"), idempotency.Scope("ip", "203.0.113.8")
	c := idempotency.Scope("sub", "203.0.113.7")
	if a == b || a == c {
		t.Fatalf("scopes collide: %s %s %s", a, b, c)
	}
	if strings.Contains(a, "203.0.113.7") || strings.Contains(a, "#") {
		t.Fatalf("scope %q leaks the identity or the separator", a)
	}
	if idempotency.Fingerprint("ab", "c") == idempotency.Fingerprint("a", "bc") {
		t.Fatal("fingerprint is ambiguous across part boundaries")
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newStore(t *testing.T) (*idempotency.Store, *dynamodb.Client, *clock) {
	c := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, c)
	// The fake clock starts at the real time: DynamoDB Local applies the
	// table's TTL, so records written "in the past" vanish.
	clk := &clock{t: time.Now()}
	return &idempotency.Store{Client: c, Table: table, Now: clk.now}, c, clk
}

func record(t *testing.T, c *dynamodb.Client, table string, k idempotency.Key) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: idempotency.PKPrefix + k.Scope + "#" + k.Value},
			"sk": &types.AttributeValueMemberS{Value: idempotency.SK},
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

func TestLifecycle(t *testing.T) {
	s, c, clk := newStore(t)
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

func TestReleaseFreesTheKey(t *testing.T) {
	s, c, _ := newStore(t)
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
func TestInProgressExpiry(t *testing.T) {
	s, _, clk := newStore(t)
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
