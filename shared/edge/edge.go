// Package edge is the Lambda edge of every function: the one place that
// knows aws-lambda-go's event types. Handler decodes an invocation once and
// hands it to the function's typed route: an HTTP API payload 2.0 request
// (answered with an events.APIGatewayV2HTTPResponse, never a Go error), a
// DynamoDB stream batch (answered with the records to retry), the
// template's schedule input or an EventBridge scheduled event, or the
// keepalive's warm-up and the drift scan's introspection (both answered
// here, touching nothing). The domain packages never see an event type.
package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/warmup"
)

// Call is one invocation as the edge found it.
type Call struct {
	RequestID string // Lambda's request id; for HTTP the API's when Lambda's is unknown
	Cold      bool   // the execution environment's first invocation
}

// Logger returns l carrying this invocation's ids and correlationID.
func (c Call) Logger(l *slog.Logger, correlationID string) *slog.Logger {
	return logging.Invocation(l, c.RequestID, correlationID, c.Cold)
}

// Handler is a function's Lambda entry point: the kinds of invocation it
// takes and what it needs to start each one the same way (cold-start flag
// and ColdStart metric, request id, warm-up answer). A nil route means the
// function takes no such event: it is refused with ErrUnsupported.
type Handler struct {
	Function string       // function name: echoed in warm-up answers, the metric's FunctionName
	Service  string       // the metric's Service dimension
	Logger   *slog.Logger // the function's logger
	// Metrics receives the ColdStart metric once per execution environment
	// and a Panics count per recovered panic; nil writes neither (and
	// PanicsAlarm hears nothing).
	Metrics *metrics.Writer
	// ColdStart reports the environment's first invocation; nil means
	// logging.ColdStart.
	ColdStart func() bool

	HTTP   func(ctx context.Context, req events.APIGatewayV2HTTPRequest, c Call) events.APIGatewayV2HTTPResponse
	Stream func(ctx context.Context, batch events.DynamoDBEvent, c Call) events.DynamoDBEventResponse
	// Schedule takes the schedule's input or a Scheduled Event: set it with
	// OnSchedule, which parses the raw event (so a function without
	// schedules links no schedule parsing).
	Schedule func(ctx context.Context, raw []byte, c Call) (any, error)
}

// OnSchedule returns the Schedule route that parses the event
// (ParseScheduled) and hands it to fn. An event that is not a schedule is
// refused with an error wrapping ErrUnsupported.
func OnSchedule(fn func(ctx context.Context, s Scheduled, c Call) (any, error)) func(context.Context, []byte, Call) (any, error) {
	return func(ctx context.Context, raw []byte, c Call) (any, error) {
		s, err := ParseScheduled(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return fn(ctx, s, c)
	}
}

// ErrUnsupported is returned (wrapped, naming what the function takes) for
// an event no route of the function takes.
var ErrUnsupported = errors.New("unsupported event")

// envelope decodes every kind of event in one pass: an HTTP API request
// fills the embedded request, a stream batch Records, a schedule the rest.
// Decoding once matters: event JSON is the largest single cost of a warm
// request (and API Gateway's requests are read faster still, decodeHTTP).
type envelope struct {
	events.APIGatewayV2HTTPRequest
	Records []events.DynamoDBEventRecord `json:"Records"`
	scheduleFields
}

func (e *envelope) isHTTP() bool { return e.RouteKey != "" || e.RequestContext.HTTP.Method != "" }

// Invoke is the function's Lambda entry point (lambda.Start(h.Invoke)). It
// returns the route's answer; for an HTTP-shaped event that does not decode,
// or an HTTP route that panics, a 500 problem (never a Go error: API
// Gateway is waiting); the JSON error
// for an event that is not JSON or does not decode; ErrUnsupported for an
// event no route takes; or the Schedule route's error.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	c := Call{Cold: h.cold()}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		c.RequestID = lc.AwsRequestID
	}
	if warmup.Is(raw) {
		c.Logger(h.Logger, "").Info("warm-up")
		return warmup.Response{Warm: true, Function: h.Function, Cold: c.Cold}, nil
	}
	if warmup.IsIntrospect(raw) {
		c.Logger(h.Logger, "").Info("introspection")
		return warmup.Introspection{Function: h.Function, Version: buildinfo.Version, Build: buildinfo.Build,
			Tiers: tiers.All(), Policy: tiers.Current()}, nil
	}
	var ev envelope
	if !decodeHTTP(raw, &ev.APIGatewayV2HTTPRequest) {
		ev = envelope{} // decodeHTTP leaves it part-filled
		if err := json.Unmarshal(raw, &ev); err != nil {
			var syntax *json.SyntaxError
			if !errors.As(err, &syntax) && h.HTTP != nil && httpShaped(raw) {
				cid := correlation.New()
				return httpapi.Problem(c.Logger(h.Logger, cid), problem.Wrap(problem.Internal, err, ""), cid), nil
			}
			c.Logger(h.Logger, "").Error("event does not decode", "error", err.Error())
			return nil, err
		}
	}
	switch {
	case ev.isHTTP() && h.HTTP != nil:
		if c.RequestID == "" {
			c.RequestID = ev.RequestContext.RequestID
		}
		return h.serveHTTP(ctx, ev.APIGatewayV2HTTPRequest, c), nil
	case len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:dynamodb" && h.Stream != nil:
		return h.Stream(ctx, events.DynamoDBEvent{Records: ev.Records}, c), nil
	case !ev.isHTTP() && len(ev.Records) == 0 && ev.Source != "" && h.Schedule != nil:
		out, err := h.Schedule(ctx, raw, c)
		if errors.Is(err, ErrUnsupported) {
			c.Logger(h.Logger, "").Error("unsupported event", "error", err.Error())
		}
		return out, err
	}
	c.Logger(h.Logger, "").Error("unsupported event")
	return nil, fmt.Errorf("%s: %w: none of its routes takes it", h.Function, ErrUnsupported)
}

// serveHTTP is the HTTP route with its panics answered too: a panic is a
// bug, logged with its stack and counted (metrics.Writer.Panic, which the
// template alarms on, as Lambda's Errors metric no longer sees it), and the
// caller still gets a 500 problem document with a correlation id, not API
// Gateway's bare one for a function error.
func (h *Handler) serveHTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, c Call) (resp events.APIGatewayV2HTTPResponse) {
	defer func() {
		if p := recover(); p != nil {
			cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
			l := c.Logger(h.Logger, cid)
			l.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if h.Metrics != nil {
				if err := h.Metrics.Panic(h.Service); err != nil {
					l.Warn("panic metric not written", "error", err.Error())
				}
			}
			resp = httpapi.Problem(nil, problem.New(problem.Internal, "internal error"), cid)
		}
	}()
	return h.HTTP(ctx, req, c)
}

// httpShaped reports an event that did not decode but names an HTTP API
// route or request context: API Gateway is waiting for an answer.
func httpShaped(raw []byte) bool {
	var shape struct {
		RouteKey       json.RawMessage `json:"routeKey"`
		RequestContext json.RawMessage `json:"requestContext"`
	}
	if json.Unmarshal(raw, &shape) != nil {
		return false
	}
	return len(shape.RouteKey) > 0 && string(shape.RouteKey) != `""` && string(shape.RouteKey) != "null" ||
		len(shape.RequestContext) > 0 && string(shape.RequestContext) != "null"
}

func (h *Handler) cold() bool {
	f := h.ColdStart
	if f == nil {
		f = logging.ColdStart
	}
	c := f()
	if c && h.Metrics != nil {
		if err := h.Metrics.ColdStart(h.Service, h.Function); err != nil {
			h.Logger.Warn("cold start metric not written", "error", err.Error())
		}
	}
	return c
}
