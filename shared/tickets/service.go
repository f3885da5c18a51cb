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

// Store persists a ticket without ever overwriting one (shared/dynamo).
//
// Put writes the ticket alone. PutWithKey writes the ticket and the
// idempotency record holding its response in one transaction, both
// conditional on not existing, so there is no in-progress state and no
// half-written outcome. Both return ErrIDTaken when the id is used already
// (nothing written; the caller draws a new id) or a *problem.Error
// (Unavailable when storage stays unreachable); PutWithKey returns an
// *idempotency.TakenError holding the stored record when the key is
// recorded already.
type Store interface {
	Put(ctx context.Context, t *Ticket) error
	PutWithKey(ctx context.Context, t *Ticket, k idempotency.Key, rec idempotency.Record) error
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

// Service creates tickets.
type Service struct {
	Store    Store
	Router   triage.Router
	Calendar bizhours.Calendar
	Now      func() time.Time // default time.Now
	NewID    func() string    // default NewID
}

// Create stores a ticket for req and returns the 201 document.
//
// With an Idempotency-Key the ticket and the key's record (holding this
// 201, known before the write) are stored in one transaction: a request
// that finds the key recorded replays the stored answer byte for byte, or
// is refused with 422 when its body differs. Errors are *problem.Error:
// Forbidden (403) when a verified caller's body claims a higher tier than
// its token; IdempotencyMismatch (422); Unavailable (503, with Retry-After)
// when storage stays unreachable; Internal otherwise. On any error nothing
// is stored.
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
	cfg, ok := tiers.Get(tier)
	if !ok {
		return Result{}, problem.Wrap(problem.Internal, errors.New("tickets: unknown tier "+string(tier)), "")
	}
	t := s.newTicket(ctx, req, cfg, tier, source, meta.CorrelationID)
	keyed := meta.IdempotencyKey.Value != ""
	fp := ""
	if keyed {
		fp = fingerprint(req, tier, source)
	}
	for draw := 0; draw < maxIDDraws; draw++ {
		if draw > 0 {
			t.ID = s.newID()
		}
		body, err := json.Marshal(ResponseFor(t))
		if err != nil {
			return Result{}, problem.Wrap(problem.Internal, err, "")
		}
		if keyed {
			err = s.Store.PutWithKey(ctx, t, meta.IdempotencyKey,
				idempotency.Record{Fingerprint: fp, Response: idempotency.Response{Status: http.StatusCreated, Body: body}})
		} else {
			err = s.Store.Put(ctx, t)
		}
		var taken *idempotency.TakenError
		switch {
		case err == nil:
			return Result{Status: http.StatusCreated, Body: body, TicketID: t.ID, Tier: tier}, nil
		case errors.Is(err, ErrIDTaken):
			continue
		case errors.As(err, &taken):
			if taken.Record.Fingerprint != fp {
				return Result{}, problem.New(problem.IdempotencyMismatch, idempotency.Header+" was already used for a different request; use a new key for a new request")
			}
			return replayed(&taken.Record.Response), nil
		default:
			return Result{}, err
		}
	}
	return Result{}, problem.Wrap(problem.Internal, ErrIDTaken, "")
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return NewID()
}

// newTicket builds the ticket, its SLA deadline and its routing: all of the
// response is known before anything is written.
func (s *Service) newTicket(ctx context.Context, req Request, cfg tiers.Config, tier tiers.Tier, source TierSource, cid string) *Ticket {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	created := now().UTC().Truncate(time.Second)
	t := &Ticket{
		ID:              s.newID(),
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
	return t
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
