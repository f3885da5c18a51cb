package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/apidoc"
	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
)

// The function's routes (template.yaml).
const (
	routeHealth     = "GET /health"
	routeHealthHead = "HEAD /health"
	routeOpenAPI    = "GET /openapi.json"
)

// retryAfterSeconds is what a degraded answer asks monitors to wait.
const retryAfterSeconds = 10

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

// Invoke is the Lambda entry point (shared/edge): a warm-up gets
// warmup.Response at once, an HTTP API request its
// events.APIGatewayV2HTTPResponse (never a Go error); anything else returns
// edge.ErrUnsupported, or the JSON error when raw is not JSON at all.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	e := edge.Handler{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart, HTTP: h.HTTP}
	return e.Invoke(ctx, raw)
}

// HTTP answers one GET or HEAD /health request, and GET /openapi.json with
// the API's OpenAPI document. HEAD gets GET's status and
// headers with an empty body. Other methods, which API Gateway does not route
// here, get a 404 problem like API Gateway's own answer.
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, c edge.Call) events.APIGatewayV2HTTPResponse {
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := c.Logger(h.Logger, cid)
	ctx = logging.With(correlation.With(ctx, cid), l)
	method := req.RequestContext.HTTP.Method

	if edge.Route(req, routeHealth, routeHealthHead, routeOpenAPI) == routeOpenAPI {
		l.Info("request served", "method", method, "path", req.RawPath, "status", http.StatusOK)
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: apidoc.Document,
			Headers: map[string]string{"Content-Type": apidoc.ContentType, "Cache-Control": "public, max-age=300", correlation.Header: cid}}
	}
	var resp events.APIGatewayV2HTTPResponse
	deep, err := edge.Flag(req, "deep")
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
	return resp
}
