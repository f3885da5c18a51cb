package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tickets"
)

// Handler is the tickets function: POST /api/support/tickets, and the
// TicketCreated publisher fed by the table's stream.
type Handler struct {
	Function    string // function name, echoed in warm-up answers
	ServiceName string // the Service dimension of the ColdStart and TicketsCreated metrics
	Logger      *slog.Logger
	Service     *tickets.Service
	Publisher   eventbus.Publisher
	// Budget caps the time one HTTP request may spend on DynamoDB, so the
	// answer (a 503 at worst) is sent well before the function's timeout
	// (template: 10 s) and API Gateway's 30 s. Default DefaultBudget.
	Budget time.Duration
	// Metrics receives the ColdStart and TicketsCreated metrics; nil writes none.
	Metrics *metrics.Writer
	// ColdStart reports the environment's first invocation (default
	// logging.ColdStart).
	ColdStart func() bool
}

// DefaultBudget leaves the 10 s function timeout 4 s of headroom; the
// invocation deadline minus SafetyMargin applies when it is sooner.
const (
	DefaultBudget = 6 * time.Second
	SafetyMargin  = 1500 * time.Millisecond
)

// Invoke is the Lambda entry point (shared/edge). A warm-up gets
// warmup.Response at once; an HTTP API request gets its
// events.APIGatewayV2HTTPResponse and never a Go error; a DynamoDB stream
// batch gets events.DynamoDBEventResponse naming the records to retry.
// Anything else returns edge.ErrUnsupported (or the JSON error when raw is
// not JSON).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	e := edge.Handler{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart,
		HTTP: h.HTTP, Stream: h.Stream}
	return e.Invoke(ctx, raw)
}
