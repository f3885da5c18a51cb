package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/triage"
)

// memStore is an in-memory Store for the Service's own logic; the DynamoDB
// store is tested against DynamoDB Local in shared/dynamo.
type memStore struct {
	items map[string]tickets.Ticket
	keys  map[idempotency.Key]idempotency.Record
	err   error
}

func (m *memStore) PutWithKey(_ context.Context, t *tickets.Ticket, k idempotency.Key, rec idempotency.Record) error {
	if m.err != nil {
		return m.err
	}
	if old, ok := m.keys[k]; ok {
		return &idempotency.TakenError{Record: old}
	}
	if _, ok := m.items[t.ID]; ok {
		return tickets.ErrIDTaken
	}
	if m.keys == nil {
		m.keys = map[idempotency.Key]idempotency.Record{}
	}
	m.items[t.ID], m.keys[k] = *t, rec
	return nil
}

func (m *memStore) Put(_ context.Context, t *tickets.Ticket) error {
	if m.err != nil {
		return m.err
	}
	if _, ok := m.items[t.ID]; ok {
		return tickets.ErrIDTaken
	}
	m.items[t.ID] = *t
	return nil
}

type failingRouter struct{}

func (failingRouter) Route(context.Context, triage.Input) (triage.Decision, error) {
	return triage.Decision{}, errors.New("model unavailable")
}

// wednesday 10:00 London (GMT in March): inside business hours.
var wednesday = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func service(store *memStore) *tickets.Service {
	return &tickets.Service{
		Store:    store,
		Router:   triage.Rules{},
		Calendar: bizhours.Default(),
		Now:      func() time.Time { return wednesday },
		NewID:    func() string { return "TKT-00000001" },
	}
}

func TestCreatePerTier(t *testing.T) {
	for _, cfg := range tiers.All() {
		t.Run(string(cfg.Tier), func(t *testing.T) {
			store := &memStore{items: map[string]tickets.Ticket{}}
			res, err := service(store).Create(context.Background(),
				tickets.Request{Subject: "Invoice is wrong", Body: "I was charged twice", Tier: cfg.Tier, TierGiven: true},
				tickets.Meta{CorrelationID: "cid-00000001"})
			if err != nil {
				t.Fatal(err)
			}
			want := `{"status":"received","ticket_id":"TKT-00000001","correlation_id":"cid-00000001","sla_hours":` +
				itoa(cfg.SLAHours) + `,"message":"Ticket created successfully. Expected response within ` + itoa(cfg.SLAHours) + ` business hours."`
			if !strings.HasPrefix(string(res.Body), want) || res.Status != 201 {
				t.Fatalf("body %s\nwant prefix %s", res.Body, want)
			}
			got := store.items["TKT-00000001"]
			due := bizhours.Default().Add(wednesday, cfg.SLAHours).UTC()
			if got.Status != tickets.StatusOpen || got.Priority != cfg.Priority || !got.SLADueAt.Equal(due) ||
				got.TierSource != tickets.Claimed || got.HumanEscalation != cfg.HumanEscalation || got.Routing.AIRouted != cfg.AIRouting {
				t.Errorf("stored %+v", got)
			}
			if cfg.AIRouting && (got.Routing.Category != "billing" || got.Routing.Rule == "") {
				t.Errorf("routing %+v, want billing with its rule", got.Routing)
			}
			var doc tickets.Response
			_ = json.Unmarshal(res.Body, &doc)
			if doc.SLADueAt != due.Format(time.RFC3339) {
				t.Errorf("sla_due_at %s, want %s", doc.SLADueAt, due.Format(time.RFC3339))
			}
		})
	}
}

func TestCreateVerifiedTier(t *testing.T) {
	tests := []struct {
		name     string
		body     tiers.Tier
		given    bool
		token    tiers.Tier
		wantCode problem.Code
		want     tiers.Tier
	}{
		{"token decides when body is silent", tiers.Starter, false, tiers.Agency, "", tiers.Agency},
		{"lower claim keeps the token's tier", tiers.Launch, true, tiers.Growth, "", tiers.Growth},
		{"equal claim", tiers.Growth, true, tiers.Growth, "", tiers.Growth},
		{"higher claim is 403", tiers.Agency, true, tiers.Growth, problem.Forbidden, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := &memStore{items: map[string]tickets.Ticket{}}
			_, err := service(store).Create(context.Background(),
				tickets.Request{Subject: "S", Body: "B", Tier: tc.body, TierGiven: tc.given},
				tickets.Meta{CorrelationID: "cid-00000001", VerifiedTier: tc.token})
			if tc.wantCode != "" {
				if problem.CodeOf(err) != tc.wantCode || len(store.items) != 0 {
					t.Fatalf("err %v, stored %d; want %s and nothing stored", err, len(store.items), tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := store.items["TKT-00000001"]; got.Tier != tc.want || got.TierSource != tickets.Verified {
				t.Errorf("stored %s/%s, want %s/verified", got.Tier, got.TierSource, tc.want)
			}
		})
	}
}

func TestCreateFailures(t *testing.T) {
	t.Run("router failure still creates the ticket, unrouted", func(t *testing.T) {
		store := &memStore{items: map[string]tickets.Ticket{}}
		s := service(store)
		s.Router = failingRouter{}
		if _, err := s.Create(context.Background(), tickets.Request{Subject: "S", Body: "B", Tier: tiers.Agency}, tickets.Meta{}); err != nil {
			t.Fatal(err)
		}
		if got := store.items["TKT-00000001"]; got.Routing.AIRouted || !got.HumanEscalation {
			t.Errorf("stored %+v", got)
		}
	})
	t.Run("a generator that always collides is an internal error, not a loop", func(t *testing.T) {
		store := &memStore{items: map[string]tickets.Ticket{"TKT-00000001": {}}}
		_, err := service(store).Create(context.Background(), tickets.Request{Subject: "S", Body: "B", Tier: tiers.Starter}, tickets.Meta{})
		if problem.CodeOf(err) != problem.Internal {
			t.Fatalf("err = %v, want internal", err)
		}
	})
	t.Run("storage problems pass through", func(t *testing.T) {
		store := &memStore{items: map[string]tickets.Ticket{}, err: problem.New(problem.Unavailable, "down")}
		_, err := service(store).Create(context.Background(), tickets.Request{Subject: "S", Body: "B", Tier: tiers.Starter}, tickets.Meta{})
		if problem.CodeOf(err) != problem.Unavailable {
			t.Fatalf("err = %v, want unavailable", err)
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestCreateWithKey: the first request with a key stores the ticket and its
// answer together; the same request again replays that answer byte for
// byte and stores nothing; another request with the key is 422; an id
// collision draws a new id inside the same keyed write.
func TestCreateWithKey(t *testing.T) {
	store := &memStore{items: map[string]tickets.Ticket{}}
	ids := []string{"TKT-00000001", "TKT-00000001", "TKT-00000002"}
	svc := service(store)
	svc.NewID = func() string {
		if len(ids) == 0 {
			return "TKT-00000009"
		}
		id := ids[0]
		ids = ids[1:]
		return id
	}
	store.items["TKT-00000001"] = tickets.Ticket{ID: "TKT-00000001"} // taken: the first draw collides
	key := idempotency.Key{Scope: idempotency.Scope("ip", "192.0.2.1"), Value: "k-1"}
	req := tickets.Request{Subject: "S", Body: "B", Tier: tiers.Growth, TierGiven: true}
	ctx := context.Background()
	first, err := svc.Create(ctx, req, tickets.Meta{CorrelationID: "cid-1", IdempotencyKey: key})
	if err != nil || first.Status != 201 || first.TicketID != "TKT-00000002" || first.Replayed {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := svc.Create(ctx, req, tickets.Meta{CorrelationID: "cid-2", IdempotencyKey: key})
	if err != nil || !again.Replayed || string(again.Body) != string(first.Body) || again.TicketID != first.TicketID {
		t.Fatalf("again = %+v, %v; want the first answer replayed", again, err)
	}
	if len(store.items) != 2 {
		t.Fatalf("%d tickets stored, want the collided one and ours", len(store.items))
	}
	other := req
	other.Body = "something else"
	if _, err := svc.Create(ctx, other, tickets.Meta{IdempotencyKey: key}); problem.CodeOf(err) != problem.IdempotencyMismatch {
		t.Fatalf("other body = %v, want 422", err)
	}
}
