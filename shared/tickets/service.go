package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/triage"
)

// Store persists a ticket without ever overwriting one. Put returns
// ErrIDTaken when the id is already used, or a *problem.Error.
type Store interface {
	Put(ctx context.Context, t *Ticket) error
}

// Idempotency records requests by key so a retried request gets the first
// answer (implemented by *dynamo.Idempotency).
type Idempotency interface {
	Begin(ctx context.Context, k idempotency.Key, fingerprint string) (*idempotency.Lease, *idempotency.Response, error)
	Complete(ctx context.Context, l *idempotency.Lease, r idempotency.Response) error
	Release(ctx context.Context, l *idempotency.Lease) error
}

// Meta is what the HTTP layer knows about a request besides its body.
type Meta struct {
	CorrelationID string
	// VerifiedTier is the tier from a token the API's JWT authorizer
	// verified; empty for an anonymous request.
	VerifiedTier tiers.Tier
	// IdempotencyKey is the validated Idempotency-Key (empty: none). Its
	// Scope must identify the caller.
	IdempotencyKey idempotency.Key
}

// Result is a created (or replayed) ticket response.
type Result struct {
	Status   int
	Body     []byte // the JSON document, byte for byte what was first answered
	TicketID string
	Tier     tiers.Tier
	Replayed bool
}

// maxIDDraws bounds how often Create draws a new id after collisions. With
// 40-bit ids even one collision is rare; several in a row mean a broken
// generator, answered as an internal error rather than a loop.
const maxIDDraws = 5

// releaseTimeout bounds freeing an idempotency key after a failure.
const releaseTimeout = time.Second

// Service creates tickets.
type Service struct {
	Store       Store
	Idempotency Idempotency // nil: Idempotency-Key is not honoured
	Router      triage.Router
	Calendar    bizhours.Calendar
	Now         func() time.Time // default time.Now
	NewID       func() string    // default NewID
}

// Create stores a ticket for req and returns the 201 document.
//
// Errors are *problem.Error: Forbidden (403) when a verified caller's body
// claims a higher tier than its token; IdempotencyMismatch (422) and
// IdempotencyInFlight (409) for a reused key; Unavailable (503, with
// Retry-After) when storage stays unreachable; Internal otherwise. On any
// error no ticket is stored and the idempotency key is freed again.
func (s *Service) Create(ctx context.Context, req Request, meta Meta) (Result, error) {
	tier, source := req.Tier, Claimed
	if meta.VerifiedTier != "" {
		if req.TierGiven && req.Tier.Rank() > meta.VerifiedTier.Rank() {
			return Result{}, &problem.Error{
				Code:   problem.Forbidden,
				Detail: "tier " + string(req.Tier) + " exceeds the tier in your token (" + string(meta.VerifiedTier) + ")",
				Fields: []problem.FieldError{{Field: "tier", Reason: "exceeds_entitlement"}},
			}
		}
		tier, source = meta.VerifiedTier, Verified
	}

	var lease *idempotency.Lease
	if s.Idempotency != nil && meta.IdempotencyKey.Value != "" {
		l, replay, err := s.Idempotency.Begin(ctx, meta.IdempotencyKey, fingerprint(req, tier, source))
		if err != nil {
			return Result{}, err
		}
		if replay != nil {
			return replayed(replay), nil
		}
		lease = l
	}

	res, err := s.create(ctx, req, tier, source, meta.CorrelationID)
	if lease == nil {
		return res, err
	}
	if err != nil {
		// The request's own deadline may be spent (that is often why it
		// failed); the release gets a short one of its own, well inside the
		// headroom the handler leaves before the function's timeout.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if rerr := s.Idempotency.Release(rctx, lease); rerr != nil {
			logging.From(ctx).Warn("idempotency record not released; it frees itself at its in-progress expiry", "error", rerr.Error())
		}
		return Result{}, err
	}
	if cerr := s.Idempotency.Complete(ctx, lease, idempotency.Response{Status: res.Status, Body: res.Body}); cerr != nil {
		// The ticket exists, so the client gets its 201. A retry with this
		// key sees 409 until the in-progress expiry, then may create a
		// second ticket: logged so the rare case can be found.
		logging.From(ctx).Error("idempotency record not completed", "error", cerr.Error(), "ticket_id", res.TicketID)
	}
	return res, nil
}

func (s *Service) create(ctx context.Context, req Request, tier tiers.Tier, source TierSource, cid string) (Result, error) {
	cfg, ok := tiers.Get(tier)
	if !ok {
		return Result{}, problem.Wrap(problem.Internal, errors.New("tickets: unknown tier "+string(tier)), "")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	newID := NewID
	if s.NewID != nil {
		newID = s.NewID
	}
	created := now().UTC().Truncate(time.Second)
	t := &Ticket{
		ID:              newID(),
		Subject:         req.Subject,
		Body:            req.Body,
		Tier:            tier,
		TierSource:      source,
		Email:           req.Email,
		Status:          StatusOpen,
		Priority:        cfg.Priority,
		SLAHours:        cfg.SLAHours,
		SLADueAt:        s.Calendar.Add(created, cfg.SLAHours).UTC(),
		CreatedAt:       created,
		HumanEscalation: cfg.HumanEscalation,
		CorrelationID:   cid,
	}
	s.route(ctx, t)

	var err error
	for draw := 0; draw < maxIDDraws; draw++ {
		if draw > 0 {
			t.ID = newID()
		}
		if err = s.Store.Put(ctx, t); !errors.Is(err, ErrIDTaken) {
			break
		}
	}
	if errors.Is(err, ErrIDTaken) {
		return Result{}, problem.Wrap(problem.Internal, err, "")
	}
	if err != nil {
		return Result{}, err
	}
	body, err := json.Marshal(ResponseFor(t))
	if err != nil {
		return Result{}, problem.Wrap(problem.Internal, err, "")
	}
	return Result{Status: http.StatusCreated, Body: body, TicketID: t.ID, Tier: tier}, nil
}

// route asks the router for a decision. Routing is advice: when the router
// fails the ticket is still created, unrouted, with the tier's escalation.
func (s *Service) route(ctx context.Context, t *Ticket) {
	if s.Router == nil {
		return
	}
	d, err := s.Router.Route(ctx, triage.Input{TicketID: t.ID, Tier: t.Tier, Subject: t.Subject, Body: t.Body})
	if err != nil {
		logging.From(ctx).Warn("triage failed; ticket left unrouted", "error", err.Error(), "ticket_id", t.ID)
		return
	}
	t.Routing = Routing{
		AIRouted:   d.AIRouted,
		Category:   d.Category,
		Queue:      d.Queue,
		Confidence: d.Confidence,
		Rule:       d.Rule,
	}
	t.HumanEscalation = d.HumanEscalation
	if d.Priority != "" {
		t.Priority = d.Priority
	}
}

// fingerprint identifies "the same request" for an idempotency key: the
// parsed content (so insignificant JSON whitespace or member order does not
// matter) and the tier decision.
func fingerprint(req Request, tier tiers.Tier, source TierSource) string {
	given := "0"
	if req.TierGiven {
		given = "1"
	}
	return idempotency.Fingerprint(req.Subject, req.Body, string(req.Tier), given, req.Email, string(tier), string(source))
}

func replayed(r *idempotency.Response) Result {
	res := Result{Status: r.Status, Body: r.Body, Replayed: true}
	var doc struct {
		TicketID string `json:"ticket_id"`
	}
	if json.Unmarshal(r.Body, &doc) == nil {
		res.TicketID = doc.TicketID
	}
	return res
}
