package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/warmup"
)

// retryAfterSeconds is what a degraded answer asks monitors to wait.
const retryAfterSeconds = 10

// ErrUnsupportedEvent is returned for an invocation that is neither a
// warm-up nor an HTTP API request: nothing else is routed to this function.
var ErrUnsupportedEvent = errors.New("health: unsupported event: want an HTTP API payload 2.0 request or a warm-up")

// Handler is the health function: it answers warm-ups at once and serves
// GET and HEAD /health from the Prober's report.
type Handler struct {
	Function string // function name, echoed in warm-up answers
	Logger   *slog.Logger
	Prober   *Prober
	// ColdStart reports the environment's first invocation; it defaults to
	// logging.ColdStart.
	ColdStart func() bool
}

func (h *Handler) cold() bool {
	if h.ColdStart != nil {
		return h.ColdStart()
	}
	return logging.ColdStart()
}

// probe is just enough of an event to tell what it is.
type probe struct {
	RouteKey       string          `json:"routeKey"`
	RequestContext json.RawMessage `json:"requestContext"`
}

// Invoke is the Lambda entry point. A warm-up gets warmup.Response, an HTTP
// API request gets its events.APIGatewayV2HTTPResponse (never a Go error);
// anything else returns ErrUnsupportedEvent, or the JSON error when raw is
// not JSON at all.
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
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		logging.Invocation(h.Logger, requestID, "", cold).Error("event is not JSON", "error", err.Error())
		return nil, err
	}
	if p.RouteKey == "" && len(p.RequestContext) == 0 {
		logging.Invocation(h.Logger, requestID, "", cold).Error("unsupported event")
		return nil, ErrUnsupportedEvent
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		// Shapes that look like HTTP but do not decode are still answered
		// over HTTP: API Gateway is waiting for a response.
		cid := correlation.New()
		l := logging.Invocation(h.Logger, requestID, cid, cold)
		return events.APIGatewayV2HTTPResponse(httpapi.Problem(l, problem.Wrap(problem.Internal, err, ""), cid)), nil
	}
	if requestID == "" {
		requestID = req.RequestContext.RequestID
	}
	return h.HTTP(ctx, req, requestID, cold), nil
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
