package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/status"
	"github.com/levqor/serverless/shared/uptime"
)

// Routes served over the HTTP API: the ops routes (AWS_IAM-authorised)
// and the public status page.
const (
	routeRun        = "POST /api/ops/keepalive"
	routeUptime     = "GET /api/ops/uptime"
	routeStatus     = "GET /status"
	routeStatusJSON = "GET /status.json"
)

// statusCache is how long browsers and CDNs may keep the status page: the
// figures change hourly, an incident should show within a minute.
const statusCache = "public, max-age=60"

// httpBudget bounds a run started over HTTP: API Gateway gives up on an
// integration after 30 s whatever the function's timeout.
const httpBudget = 25 * time.Second

// ErrNoTargets is returned for a scheduled run with nothing to check: no
// KEEPALIVE_TARGETS and no api_url in the event for the default target.
var ErrNoTargets = errors.New("keepalive: no targets: KEEPALIVE_TARGETS is blank and the event carries no api_url")

// Handler is the keepalive function's entry point.
type Handler struct {
	Function string
	Service  string
	Version  string         // the version the default target must report
	Targets  []probe.Target // configured targets; nil means the default target
	Runner   *uptime.Runner
	Logger   *slog.Logger
	Metrics  *metrics.Writer // ColdStart; nil writes none
	// ColdStart reports the environment's first invocation (default logging.ColdStart).
	ColdStart func() bool
	// ReadBudget bounds the reads of the uptime and status routes
	// (default httpapi.ReadBudget).
	ReadBudget time.Duration
}

// Invoke is the Lambda entry point (shared/edge). A warm-up gets
// warmup.Response at once. An HTTP API request gets an
// events.APIGatewayV2HTTPResponse and never a Go error. A scheduled event
// gets the run's uptime.Report; it returns an error only when the run could
// not be recorded or its alerts could not be published (so Lambda's async
// retries, then the dead-letter queue, take over; a retry is recognised as
// the same run and changes state once) or when the event is not one this
// function handles (edge.ErrUnsupported).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	e := edge.Handler{Function: h.Function, Service: h.Service, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart,
		HTTP:     h.HTTP,
		Schedule: edge.OnSchedule(func(ctx context.Context, s edge.Scheduled, c edge.Call) (any, error) { return h.Scheduled(ctx, s, c) }),
	}
	return e.Invoke(ctx, raw)
}

// Scheduled runs the monitor for a scheduled event. The run id is the
// EventBridge event id when the event is an envelope (the same on
// redelivery), else the Lambda request id (the same on async retries).
func (h *Handler) Scheduled(ctx context.Context, s edge.Scheduled, c edge.Call) (*uptime.Report, error) {
	runID := cmp.Or(s.EventID, c.RequestID)
	if runID == "" {
		runID = "run-" + correlation.New() // invoked outside Lambda: every call is its own run
	}
	// A scheduled run has no caller to send a correlation id: the run id
	// is the one a log search, the run record and an alert all share.
	l := c.Logger(h.Logger, runID)
	targets, err := h.targets(s.APIURL)
	if err != nil {
		l.Error("no targets", "error", err.Error())
		return nil, err
	}
	ctx, cancel := runContext(logging.With(correlation.With(ctx, runID), l), 0)
	defer cancel()
	rep, err := h.Runner.Run(ctx, runID, targets)
	h.logRun(l, rep, err)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

// HTTP serves the two ops routes. Problems are answered as RFC 9457
// documents; the function never fails an HTTP invocation.
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, c edge.Call) events.APIGatewayV2HTTPResponse {
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := c.Logger(h.Logger, cid)
	ctx = logging.With(correlation.With(ctx, cid), l)
	switch rt := route(req); rt {
	case routeRun:
		apiURL := edge.BaseURL(req)
		targets, err := h.targets(apiURL)
		if err != nil {
			return httpapi.Problem(l, problem.Wrap(problem.Internal, err, ""), cid)
		}
		// API Gateway's request id is unique per request; a caller-chosen
		// correlation id is not, so it never names a run.
		runID := cmp.Or(req.RequestContext.RequestID, "http-"+correlation.New())
		ctx, cancel := runContext(ctx, httpBudget)
		defer cancel()
		rep, err := h.Runner.Run(ctx, runID, targets)
		h.logRun(l, rep, err)
		if err != nil {
			return httpapi.Problem(l, err, cid)
		}
		return httpapi.JSON(http.StatusOK, rep, cid)
	case routeUptime:
		ctx, cancel := h.readContext(ctx)
		defer cancel()
		names := h.targetNames()
		if want := req.QueryStringParameters["target"]; want != "" {
			if !slices.Contains(names, want) {
				return httpapi.Problem(l, problem.Newf(problem.NotFound, "no keepalive target named %q", want), cid)
			}
			names = []string{want}
		}
		sums, err := h.Runner.Uptime(ctx, names)
		if err != nil {
			return httpapi.Problem(l, err, cid)
		}
		return httpapi.JSON(http.StatusOK, UptimeDocument{
			SLAPercent: h.Runner.SLAPercent, GeneratedAt: time.Now().UTC(), Targets: sums,
		}, cid)
	case routeStatus, routeStatusJSON:
		ctx, cancel := h.readContext(ctx)
		defer cancel()
		return h.status(ctx, rt == routeStatusJSON, l, cid)
	}
	return httpapi.Problem(l, problem.Newf(problem.NotFound, "no route for %s %s", req.RequestContext.HTTP.Method, req.RawPath), cid)
}

// status serves the public status page from the daily roll-ups. The page
// is cached publicly, so it carries no correlation id; a failure is a
// problem document like every other route's.
func (h *Handler) status(ctx context.Context, asJSON bool, l *slog.Logger, cid string) events.APIGatewayV2HTTPResponse {
	p, err := status.Build(ctx, h.Runner.Store, h.statusTargets(), time.Now(), h.Runner.SLAPercent)
	if err != nil {
		return httpapi.Problem(l, err, cid)
	}
	var body []byte
	ctype := "text/html; charset=utf-8"
	if asJSON {
		body, err = json.Marshal(p)
		ctype = "application/json"
	} else {
		body, err = status.HTML(p)
	}
	if err != nil {
		return httpapi.Problem(l, problem.Wrap(problem.Internal, err, ""), cid)
	}
	l.Info("status page served", "json", asJSON, "overall", p.Overall, "targets", len(p.Targets))
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: string(body),
		Headers: map[string]string{"Content-Type": ctype, "Cache-Control": statusCache, "X-Content-Type-Options": "nosniff"}}
}

// statusTargets are the targets the status page may show: the configured
// ones (each public only if its configuration says so), or the default
// target, this API's /health, which is public.
func (h *Handler) statusTargets() []probe.Target {
	if h.Targets != nil {
		return h.Targets
	}
	return []probe.Target{{Name: probe.DefaultTargetName, Public: true, Display: probe.DefaultDisplayName}}
}

// UptimeDocument is the body of GET /api/ops/uptime.
type UptimeDocument struct {
	SLAPercent  float64          `json:"sla_percent"`
	GeneratedAt time.Time        `json:"generated_at"`
	Targets     []uptime.Summary `json:"targets"`
}

func (h *Handler) logRun(l *slog.Logger, rep uptime.Report, err error) {
	attrs := []any{"run_id", rep.RunID, "status", rep.Status, "targets", len(rep.Results),
		"alerts", len(rep.Alerts), "duplicate", rep.Duplicate}
	if err != nil {
		l.Error("keepalive run incomplete", append(attrs, "error", err.Error())...)
		return
	}
	l.Info("keepalive run", attrs...)
}

// targets returns the configured targets, or the default target built from
// apiURL. It returns ErrNoTargets when neither is available.
func (h *Handler) targets(apiURL string) ([]probe.Target, error) {
	if h.Targets != nil {
		return h.Targets, nil
	}
	if apiURL == "" {
		return nil, ErrNoTargets
	}
	t, err := probe.DefaultTarget(apiURL, h.Version)
	if err != nil {
		return nil, err
	}
	return []probe.Target{t}, nil
}

func (h *Handler) targetNames() []string {
	if h.Targets == nil {
		return []string{probe.DefaultTargetName}
	}
	names := make([]string, len(h.Targets))
	for i, t := range h.Targets {
		names[i] = t.Name
	}
	return names
}

// route names the request's route (edge.Route).
func route(req events.APIGatewayV2HTTPRequest) string {
	return edge.Route(req, routeRun, routeUptime, routeStatus, routeStatusJSON)
}

// readContext bounds a read-only route's reads: ReadBudget, or
// httpapi.ReadBudget, and a margin before the invocation's deadline.
func (h *Handler) readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return runContext(ctx, cmp.Or(h.ReadBudget, httpapi.ReadBudget))
}

// runContext leaves a margin before the invocation's deadline for the
// answer to be written: a tenth of the time left, from 1 s to 5 s, and at
// most half of it. budget, when positive, bounds the run further.
func runContext(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		if budget > 0 {
			return context.WithTimeout(ctx, budget)
		}
		return context.WithCancel(ctx)
	}
	left := time.Until(dl)
	margin := min(max(left/10, time.Second), 5*time.Second, left/2) // never a deadline already past
	end := dl.Add(-margin)
	if budget > 0 && time.Now().Add(budget).Before(end) {
		end = time.Now().Add(budget)
	}
	return context.WithDeadline(ctx, end)
}
