package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/invocation"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tickets"
)

// ErrUnsupportedEvent is returned for an invocation that is neither a
// warm-up, an HTTP API request nor a DynamoDB stream batch.
var ErrUnsupportedEvent = errors.New("tickets: unsupported event: want an HTTP API payload 2.0 request, a DynamoDB stream batch or a warm-up")

// Handler is the tickets function: POST /api/support/tickets, and the
// TicketCreated publisher fed by the table's stream.
type Handler struct {
	Function    string // function name, echoed in warm-up answers
	ServiceName string // the ColdStart metric's Service dimension
	Logger      *slog.Logger
	Service     *tickets.Service
	Publisher   eventbus.Publisher
	// Budget caps the time one HTTP request may spend on DynamoDB, so the
	// answer (a 503 at worst) is sent well before the function's timeout
	// (template: 10 s) and API Gateway's 30 s. Default DefaultBudget.
	Budget time.Duration
	// Metrics receives the ColdStart metric; nil writes none.
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

// envelope decodes any supported event in one pass: an HTTP API request
// fills the embedded request, a stream batch fills Records. Decoding once
// matters: event JSON is the largest single cost of a warm request.
type envelope struct {
	events.APIGatewayV2HTTPRequest
	Records []events.DynamoDBEventRecord `json:"Records"`
}

func (e *envelope) IsHTTP() bool { return e.RouteKey != "" || e.RequestContext.HTTP.Method != "" }

// Invoke is the Lambda entry point. A warm-up gets warmup.Response at once;
// an HTTP API request gets its events.APIGatewayV2HTTPResponse and never a
// Go error; a DynamoDB stream batch gets events.DynamoDBEventResponse naming
// the records to retry. Anything else returns ErrUnsupportedEvent (or the
// JSON error when raw is not JSON).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev envelope
	entry := invocation.Entry{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart}
	return entry.Dispatch(ctx, raw, &ev, invocation.Routes{
		HTTP: func(c invocation.Call) any {
			return h.HTTP(ctx, ev.APIGatewayV2HTTPRequest, cmp.Or(c.RequestID, ev.RequestContext.RequestID), c.Cold)
		},
		Respond: func(r httpapi.Response) any { return events.APIGatewayV2HTTPResponse(r) },
		Other: func(c invocation.Call) (any, error) {
			if len(ev.Records) == 0 || ev.Records[0].EventSource != "aws:dynamodb" {
				return nil, c.Unsupported(ErrUnsupportedEvent)
			}
			return h.Stream(ctx, events.DynamoDBEvent{Records: ev.Records}, c.RequestID, c.Cold), nil
		},
	})
}
