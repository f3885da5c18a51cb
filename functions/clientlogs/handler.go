package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/clientlogs"
	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
)

// The function's routes (template.yaml).
const (
	routeIngest = "POST /api/client-logs"
	routeScript = "GET /client-logger.js"
)

// Handler is the clientlogs function.
type Handler struct {
	Function    string
	ServiceName string // the metrics' Service dimension
	Logger      *slog.Logger
	// Metrics receives Levqor/Client counts and ColdStart; nil writes none.
	Metrics *metrics.Writer
	// ColdStart reports the environment's first invocation; nil means
	// logging.ColdStart.
	ColdStart func() bool
	Alerter   *clientlogs.Alerter
	// Releases, when set, are the releases that get their own metric
	// dimension (CLIENT_RELEASES); see clientlogs.MetricRelease.
	Releases map[string]bool
	Script   Script
}

// Invoke is the Lambda entry point (shared/edge): an HTTP API request gets
// its events.APIGatewayV2HTTPResponse (never a Go error), a warm-up or an
// introspection its answer; anything else returns edge.ErrUnsupported.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	e := edge.Handler{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart, HTTP: h.HTTP}
	return e.Invoke(ctx, raw)
}

// Answer is the body of a 202: what became of the batch's records.
type Answer struct {
	Accepted  int `json:"accepted"`
	Dropped   int `json:"dropped"`
	Truncated int `json:"truncated"`
}

// HTTP serves the two routes and logs one line per request; other routes,
// which API Gateway does not send here, get a 404 problem.
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, c edge.Call) events.APIGatewayV2HTTPResponse {
	start := time.Now()
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := c.Logger(h.Logger, cid)
	ctx = logging.With(correlation.With(ctx, cid), l)
	switch edge.Route(req, routeIngest, routeScript) {
	case routeScript:
		resp := h.Script.Serve(req, cid)
		l.Info("script served", "status", resp.StatusCode, "gzip", resp.IsBase64Encoded)
		return resp
	case routeIngest:
		ans, err := h.ingest(ctx, req, cid, l)
		attrs := []any{"accepted", ans.Accepted, "dropped", ans.Dropped, "truncated", ans.Truncated,
			"latency_ms", float64(time.Since(start).Microseconds()) / 1000}
		if err != nil {
			resp := httpapi.Problem(nil, err, cid)
			l.Info("client logs refused", append(attrs, "status", resp.StatusCode, "problem", string(problem.CodeOf(err)))...)
			return resp
		}
		l.Info("client logs received", append(attrs, "status", http.StatusAccepted)...)
		return httpapi.JSON(http.StatusAccepted, ans, cid)
	}
	return httpapi.Problem(l, problem.Newf(problem.NotFound, "no route for %s %s", req.RequestContext.HTTP.Method, req.RawPath), cid)
}

// ingest parses, logs, counts and alerts one batch. Its errors are
// *problem.Error (400, 413, 415); nothing after parsing fails the request.
func (h *Handler) ingest(ctx context.Context, req events.APIGatewayV2HTTPRequest, cid string, l *slog.Logger) (Answer, error) {
	body, err := httpapi.RequestText(req, clientlogs.MaxBatchBytes, acceptedTypes...)
	if err != nil {
		return Answer{}, err
	}
	b, err := clientlogs.Parse(body)
	if err != nil {
		return Answer{}, err
	}
	for _, r := range b.Records {
		clientlogs.Log(ctx, l, r)
	}
	if len(b.Dropped) > 0 {
		l.Info("client records dropped", "reasons", b.Dropped)
	}
	h.count(b.Records, l)
	if h.Alerter != nil {
		h.Alerter.Alert(ctx, b.Records, cid, l)
	}
	return Answer{Accepted: len(b.Records), Dropped: b.DroppedTotal(), Truncated: b.Truncated()}, nil
}

// count emits Levqor/Client ClientErrors and ClientWarnings per release.
func (h *Handler) count(recs []clientlogs.Record, l *slog.Logger) {
	if h.Metrics == nil {
		return
	}
	for rel, c := range clientlogs.CountByRelease(recs, h.Releases) {
		if c.Errors == 0 && c.Warnings == 0 {
			continue
		}
		err := h.Metrics.Emit(metrics.NamespaceClient,
			[]metrics.Dimension{{Name: "Service", Value: h.ServiceName}, {Name: "Release", Value: rel}},
			metrics.Metric{Name: "ClientErrors", Unit: metrics.Count, Value: float64(c.Errors)},
			metrics.Metric{Name: "ClientWarnings", Unit: metrics.Count, Value: float64(c.Warnings)})
		if err != nil {
			l.Warn("client metrics not written", "error", err.Error())
		}
	}
}

// acceptedTypes are the batch's media types: JSON, and the text/plain
// navigator.sendBeacon sends for a string, which needs no CORS preflight.
var acceptedTypes = []string{"application/json", "text/plain"}
