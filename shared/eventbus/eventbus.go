// Package eventbus is the vocabulary of the project's domain events
// (TicketCreated, TargetDown, TargetRecovered, DriftDetected, ...): the
// event and the publisher interface. shared/awsbus publishes them to an
// EventBridge bus.
package eventbus

import (
	"context"
	"time"
)

// Event is one domain event. Detail must not hold customer content (ticket
// bodies, email addresses): events are fanned out to other teams.
type Event struct {
	Source     string    // e.g. "levqor.support"
	DetailType string    // e.g. "TicketCreated"
	Detail     any       // JSON-encoded as the event's detail
	Time       time.Time // zero means now
}

// Publisher sends events. Implementations return an error when any event was
// not accepted, so callers can retry or keep it for later.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}
