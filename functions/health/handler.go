package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/invocation"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
)

// retryAfterSeconds is what a degraded answer asks monitors to wait.
const retryAfterSeconds = 10

// ErrUnsupportedEvent is returned for an invocation that is neither a
// warm-up nor an HTTP API request: nothing else is routed to this function.
var ErrUnsupportedEvent = errors.New("health: unsupported event: want an HTTP API payload 2.0 request or a warm-up")

// Handler is the health function: it answers warm-ups at once and serves
// GET and HEAD /health from the Prober's report.
type Handler struct {
	Function    string // function name, echoed in warm-up answers
	ServiceName string // the ColdStart metric's Service dimension
	Logger      *slog.Logger
	Prober      *Prober
	// Metrics receives the ColdStart metric; nil writes none.
	Metrics *metrics.Writer
	// ColdStart reports the environment's first invocation; it defaults to
	// logging.ColdStart.
	ColdStart func() bool
}

// event is every event the function takes, decoded once.
type event struct{ events.APIGatewayV2HTTPRequest }

func (e *event) IsHTTP() bool { return e.RouteKey != "" || e.RequestContext.HTTP.Method != "" }

// Invoke is the Lambda entry point. A warm-up gets warmup.Response, an HTTP
// API request gets its events.APIGatewayV2HTTPResponse (never a Go error);
// anything else returns ErrUnsupportedEvent, or the JSON error when raw is
// not JSON at all.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	entry := invocation.Entry{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart}
	return entry.Dispatch(ctx, raw, &ev, invocation.Routes{
		HTTP: func(c invocation.Call) any {
			return h.HTTP(ctx, ev.APIGatewayV2HTTPRequest, cmp.Or(c.RequestID, ev.RequestContext.RequestID), c.Cold)
		},
		Respond:     func(r httpapi.Response) any { return events.APIGatewayV2HTTPResponse(r) },
		Unsupported: ErrUnsupportedEvent,
	})
}

// HTTP answers one GET or HEAD /health request. HEAD gets GET's status and
// headers with an empty body. Other methods, which API Gateway does not route
// here, get a 404 problem like API Gateway's own answer.
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, requestID string, cold bool) events.APIGatewayV2HTTPResponse {
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := logging.Invocation(h.Logger, requestID, cid, cold)
	ctx = logging.With(correlation.With(ctx, cid), l)
	method := req.RequestContext.HTTP.Method

	var resp httpapi.Response
	deep, err := parseQuery(req.RawQueryString)
	if v, ok := req.QueryStringParameters["deep"]; ok && req.RawQueryString == "" {
		// Hand-written events may fill only the parsed map.
		deep, err = parseDeep(v)
	}
	switch {
	case method != http.MethodGet && method != http.MethodHead:
		resp = httpapi.Problem(l, problem.Newf(problem.NotFound, "no route for %s %s", method, req.RawPath), cid)
	case err != nil:
		resp = httpapi.Problem(l, err, cid)
	default:
		rep := h.Prober.Report(ctx, deep, l)
		status := http.StatusOK
		if rep.Status != StatusOK {
			status = http.StatusServiceUnavailable
		}
		resp = httpapi.JSON(status, rep, cid)
		if status == http.StatusServiceUnavailable {
			resp.Headers["Retry-After"] = strconv.Itoa(retryAfterSeconds)
		}
	}
	if method == http.MethodHead {
		resp.Body = ""
	}
	l.Info("request served", "method", method, "path", req.RawPath, "deep", deep, "status", resp.StatusCode)
	return events.APIGatewayV2HTTPResponse(resp)
}
