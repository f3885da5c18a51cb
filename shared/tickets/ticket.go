// Package tickets is the support-ticket domain: the strict request parser,
// ticket ids, the stored Ticket, the 201 response document, and the Service
// that creates a ticket exactly once per request (with idempotency keys),
// computes its business-hours SLA deadline and routes it.
//
// Storage, idempotency records and routing enter through interfaces so the
// package never depends on DynamoDB or Lambda event types.
package tickets

import (
	"errors"
	"strconv"
	"time"

	"github.com/levqor/serverless/shared/tiers"
)

// TierSource says who decided a ticket's tier.
type TierSource string

// The tier sources.
const (
	// Claimed: the request body named the tier (or the default applied) and
	// nobody vouched for it: the seed's behaviour for anonymous requests.
	Claimed TierSource = "claimed"
	// Verified: the tier came from a JWT the HTTP API's authorizer checked.
	Verified TierSource = "verified"
)

// StatusOpen is the status of every new ticket.
const StatusOpen = "open"

// Routing is the triage decision stored on a ticket and carried in its event.
type Routing struct {
	AIRouted   bool
	Category   string
	Queue      string
	Confidence float64
	Rule       string
}

// Ticket is one stored support ticket: every field of the item.
type Ticket struct {
	ID              string
	Subject         string
	Body            string
	Tier            tiers.Tier
	TierSource      TierSource
	Email           string // empty when none was given
	Status          string
	Priority        tiers.Priority
	SLAHours        int
	SLADueAt        time.Time // business-hours deadline, UTC
	CreatedAt       time.Time // UTC
	Routing         Routing
	HumanEscalation bool
	CorrelationID   string
}

// ErrIDTaken is what a Store returns when the ticket id already exists; the
// Service then draws a new id. It is never retried with the same id.
var ErrIDTaken = errors.New("tickets: ticket id already exists")

// TimeFormat is how timestamps are written in items, responses and events:
// RFC 3339 in UTC with whole seconds.
const TimeFormat = time.RFC3339

// Response is the 201 document. Its first five fields, their order and the
// message's words are the seed's contract; the rest may follow.
type Response struct {
	Status          string         `json:"status"`
	TicketID        string         `json:"ticket_id"`
	CorrelationID   string         `json:"correlation_id"`
	SLAHours        int            `json:"sla_hours"`
	Message         string         `json:"message"`
	Priority        tiers.Priority `json:"priority"`
	SLADueAt        string         `json:"sla_due_at"`
	AIRouted        bool           `json:"ai_routed"`
	HumanEscalation bool           `json:"human_escalation"`
}

// ResponseFor returns the 201 document for a stored ticket.
func ResponseFor(t *Ticket) Response {
	return Response{
		Status:          "received",
		TicketID:        t.ID,
		CorrelationID:   t.CorrelationID,
		SLAHours:        t.SLAHours,
		Message:         "Ticket created successfully. Expected response within " + strconv.Itoa(t.SLAHours) + " business hours.",
		Priority:        t.Priority,
		SLADueAt:        t.SLADueAt.UTC().Format(TimeFormat),
		AIRouted:        t.Routing.AIRouted,
		HumanEscalation: t.HumanEscalation,
	}
}
