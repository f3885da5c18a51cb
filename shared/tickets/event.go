package tickets

import (
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/tiers"
)

// EventSource and EventCreated name the TicketCreated event on the bus.
const (
	EventSource  = "levqor.support"
	EventCreated = "TicketCreated"
)

// Created is the detail of a TicketCreated event (source "levqor.support",
// detail-type "TicketCreated"), published from the table's stream once per
// stored ticket.
//
// Delivery is at least once: a stream batch that fails part-way is retried,
// so consumers must deduplicate by ticket_id (it is unique and never reused).
// The detail carries no customer content: no subject, no body, no email.
// Times are RFC 3339 UTC.
type Created struct {
	TicketID        string         `json:"ticket_id"`
	Tier            tiers.Tier     `json:"tier"`
	TierSource      TierSource     `json:"tier_source"`
	Priority        tiers.Priority `json:"priority"`
	SLAHours        int            `json:"sla_hours"`
	SLADueAt        string         `json:"sla_due_at"`
	CreatedAt       string         `json:"created_at"`
	Category        string         `json:"category"`
	Queue           string         `json:"queue"`
	AIRouted        bool           `json:"ai_routed"`
	HumanEscalation bool           `json:"human_escalation"`
	CorrelationID   string         `json:"correlation_id"`
}

// CreatedEvent returns the TicketCreated event for t. The event time is the
// ticket's creation time, so a late (retried) publication still says when
// the ticket was made.
func CreatedEvent(t *Ticket) eventbus.Event {
	return eventbus.Event{
		Source:     EventSource,
		DetailType: EventCreated,
		Time:       t.CreatedAt,
		Detail: Created{
			TicketID:        t.ID,
			Tier:            t.Tier,
			TierSource:      t.TierSource,
			Priority:        t.Priority,
			SLAHours:        t.SLAHours,
			SLADueAt:        t.SLADueAt.UTC().Format(TimeFormat),
			CreatedAt:       t.CreatedAt.UTC().Format(TimeFormat),
			Category:        t.Routing.Category,
			Queue:           t.Routing.Queue,
			AIRouted:        t.Routing.AIRouted,
			HumanEscalation: t.HumanEscalation,
			CorrelationID:   t.CorrelationID,
		},
	}
}
