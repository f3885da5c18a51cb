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

// shape is just enough of an event to tell what it is.
type shape struct {
	RouteKey       string          `json:"routeKey"`
	RequestContext json.RawMessage `json:"requestContext"`
	Records        []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
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
	var s shape
	if err := json.Unmarshal(raw, &s); err != nil {
		logging.Invocation(h.Logger, requestID, "", cold).Error("event is not JSON", "error", err.Error())
		return nil, err
	}
	switch {
	case s.RouteKey != "" || len(s.RequestContext) > 0:
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			// Looks like HTTP but does not decode: still answer over HTTP,
			// API Gateway is waiting.
			cid := correlation.New()
			l := logging.Invocation(h.Logger, requestID, cid, cold)
			return events.APIGatewayV2HTTPResponse(httpapi.Problem(l, problem.Wrap(problem.Internal, err, ""), cid)), nil
		}
		if requestID == "" {
			requestID = req.RequestContext.RequestID
		}
		return h.HTTP(ctx, req, requestID, cold), nil
	case len(s.Records) > 0 && s.Records[0].EventSource == "aws:dynamodb":
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			logging.Invocation(h.Logger, requestID, "", cold).Error("stream batch does not decode", "error", err.Error())
			return nil, err
		}
		return h.Stream(ctx, ev, requestID, cold), nil
	}
	logging.Invocation(h.Logger, requestID, "", cold).Error("unsupported event")
	return nil, ErrUnsupportedEvent
}
