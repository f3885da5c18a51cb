package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"strings"
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
	if err := checkContentType(httpapi.Header(req.Headers, "Content-Type")); err != nil {
		return Answer{}, err
	}
	// Refuse oversized bodies before decoding: base64 inflates by 4/3.
	limit := clientlogs.MaxBatchBytes
	if req.IsBase64Encoded {
		limit = base64.StdEncoding.EncodedLen(limit)
	}
	if len(req.Body) > limit {
		return Answer{}, problem.Newf(problem.TooLarge, "a batch may be at most %d bytes", clientlogs.MaxBatchBytes)
	}
	body, err := httpapi.Body(req.Body, req.IsBase64Encoded)
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

// checkContentType accepts application/json and text/plain (what
// navigator.sendBeacon sends for a string, and what needs no CORS
// preflight), with at most a UTF-8 charset. It returns an UnsupportedMedia
// *problem.Error otherwise.
func checkContentType(v string) error {
	refuse := problem.New(problem.UnsupportedMedia, "Content-Type must be application/json or text/plain;charset=UTF-8")
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt != "application/json" && mt != "text/plain" {
		return refuse
	}
	for k, p := range params {
		if k != "charset" || !strings.EqualFold(p, "utf-8") {
			return refuse
		}
	}
	return nil
}
