package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/warmup"
)

// ErrUnsupportedEvent is returned for an invocation that is neither a
// warm-up, an HTTP API request nor a DynamoDB stream batch.
var ErrUnsupportedEvent = errors.New("tickets: unsupported event: want an HTTP API payload 2.0 request, a DynamoDB stream batch or a warm-up")

// Handler is the tickets function: POST /api/support/tickets, and the
// TicketCreated publisher fed by the table's stream.
type Handler struct {
	Function  string // function name, echoed in warm-up answers
	Logger    *slog.Logger
	Service   *tickets.Service
	Publisher eventbus.Publisher
	// Budget caps the time one HTTP request may spend on DynamoDB, so the
	// answer (a 503 at worst) is sent well before the function's timeout
	// (template: 10 s) and API Gateway's 30 s. Default DefaultBudget.
	Budget time.Duration
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

func (h *Handler) cold() bool {
	if h.ColdStart != nil {
		return h.ColdStart()
	}
	return logging.ColdStart()
}

// envelope decodes any supported event in one pass: an HTTP API request
// fills the embedded request, a stream batch fills Records. Decoding once
// matters: event JSON is the largest single cost of a warm request.
type envelope struct {
	events.APIGatewayV2HTTPRequest
	Records []events.DynamoDBEventRecord `json:"Records"`
}

// Invoke is the Lambda entry point. A warm-up gets warmup.Response at once;
// an HTTP API request gets its events.APIGatewayV2HTTPResponse and never a
// Go error; a DynamoDB stream batch gets events.DynamoDBEventResponse naming
// the records to retry. Anything else returns ErrUnsupportedEvent (or the
// JSON error when raw is not JSON).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	cold := h.cold()
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	if warmup.Is(raw) {
		logging.Invocation(h.Logger, requestID, "", cold).Info("warm-up")
		return warmup.Response{Warm: true, Function: h.Function, Cold: cold}, nil
	}
	var ev envelope
	if err := json.Unmarshal(raw, &ev); err != nil {
		if hasKey(raw, "requestContext") {
			// Looks like HTTP but does not decode: still answer over HTTP,
			// API Gateway is waiting.
			cid := correlation.New()
			l := logging.Invocation(h.Logger, requestID, cid, cold)
			return events.APIGatewayV2HTTPResponse(httpapi.Problem(l, problem.Wrap(problem.Internal, err, ""), cid)), nil
		}
		logging.Invocation(h.Logger, requestID, "", cold).Error("event does not decode", "error", err.Error())
		return nil, err
	}
	switch {
	case ev.RouteKey != "" || ev.RequestContext.HTTP.Method != "":
		if requestID == "" {
			requestID = ev.RequestContext.RequestID
		}
		return h.HTTP(ctx, ev.APIGatewayV2HTTPRequest, requestID, cold), nil
	case len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:dynamodb":
		return h.Stream(ctx, events.DynamoDBEvent{Records: ev.Records}, requestID, cold), nil
	}
	logging.Invocation(h.Logger, requestID, "", cold).Error("unsupported event")
	return nil, ErrUnsupportedEvent
}

// hasKey reports whether raw is a JSON object with the top-level member
// name, whatever its value; it decides how to answer an event that does not
// decode.
func hasKey(raw []byte, name string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m[name]
	return ok
}
