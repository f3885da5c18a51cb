package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
)

// HTTPTimeout bounds a scan requested over HTTP: API Gateway HTTP APIs give
// an integration at most 30 seconds, after which the caller gets a 503 and
// the report is lost. The scan itself leaves the scanner's Reserve of this
// for storing the report.
const HTTPTimeout = 28 * time.Second

// Scanner runs one drift scan end to end (*drift.Runner).
type Scanner interface {
	Run(ctx context.Context, t drift.Target, correlationID string) (drift.Report, error)
}

// Reports returns the last stored report (*dynamo.DriftReports).
type Reports interface {
	Latest(ctx context.Context) (drift.Report, error)
}

// Handler is the drift scan function.
type Handler struct {
	Function    string // echoed in warm-up answers
	ServiceName string // the ColdStart metric's Service dimension
	Logger      *slog.Logger
	Runner      Scanner
	Reports     Reports
	// Metrics receives the ColdStart metric; nil writes none.
	Metrics *metrics.Writer
	// ColdStart reports the environment's first invocation; it defaults to
	// logging.ColdStart.
	ColdStart func() bool
	// ReadBudget bounds GET ?latest=1's read (default httpapi.ReadBudget).
	ReadBudget time.Duration
}

// Invoke is the Lambda entry point (shared/edge). A warm-up gets
// warmup.Response; the schedule's input
// ({"source":"levqor.schedule","api_url":...,"api_id":...}, or a bare
// EventBridge "Scheduled Event") runs a scan and returns its report, with
// an error when the scan could not run or its report could not be stored or
// announced, so that EventBridge retries it; an HTTP API request gets its
// response and never a Go error. Anything else returns edge.ErrUnsupported,
// or the JSON error when raw is not JSON.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	e := edge.Handler{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart,
		HTTP: h.HTTP,
		Schedule: edge.OnSchedule(func(ctx context.Context, s edge.Scheduled, c edge.Call) (any, error) {
			return h.Scheduled(ctx, drift.Target{APIURL: s.APIURL, APIID: s.APIID}, c)
		}),
	}
	return e.Invoke(ctx, raw)
}

// Scheduled runs the daily scan. It returns the report, and an error when the
// scan could not run or storing or alerting failed (the report is still
// returned for the invocation record).
func (h *Handler) Scheduled(ctx context.Context, t drift.Target, c edge.Call) (drift.Report, error) {
	cid := correlation.New()
	l := c.Logger(h.Logger, cid)
	rep, err := h.Runner.Run(logging.With(correlation.With(ctx, cid), l), t, cid)
	logReport(l, rep, err, "scheduled")
	if err == nil && rep.Status == drift.Error {
		err = fmt.Errorf("driftscan: scan could not run: %s", rep.Error)
	}
	return rep, err
}

// HTTP answers GET /api/ops/drift: a fresh scan, or with ?latest=1 the last
// stored report without scanning. The API's id and URL come from the
// request context (the template cannot give them to the function).
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, c edge.Call) events.APIGatewayV2HTTPResponse {
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := c.Logger(h.Logger, cid)
	ctx = logging.With(correlation.With(ctx, cid), l)
	method := req.RequestContext.HTTP.Method
	if caller := req.RequestContext.Authorizer; caller != nil && caller.IAM != nil {
		l = l.With("caller_arn", caller.IAM.UserARN)
	}

	var resp events.APIGatewayV2HTTPResponse
	latest, err := edge.Flag(req, "latest")
	switch {
	case method != http.MethodGet:
		resp = httpapi.Problem(l, problem.Newf(problem.NotFound, "no route for %s %s", method, req.RawPath), cid)
	case err != nil:
		resp = httpapi.Problem(l, err, cid)
	case latest:
		rctx, cancel := context.WithTimeout(ctx, cmp.Or(h.ReadBudget, httpapi.ReadBudget))
		rep, err := h.Reports.Latest(rctx)
		cancel()
		switch {
		case errors.Is(err, drift.ErrNoReport):
			resp = httpapi.Problem(l, problem.New(problem.NotFound, "no drift report has been stored yet; GET /api/ops/drift runs a scan"), cid)
		case err != nil: // 503 when DynamoDB is unreachable, 500 otherwise (shared/dynamo)
			resp = httpapi.Problem(l, err, cid)
		default:
			resp = httpapi.JSON(http.StatusOK, rep, cid)
		}
	default:
		sctx, cancel := context.WithTimeout(ctx, HTTPTimeout)
		rep, err := h.Runner.Run(sctx, drift.Target{APIID: req.RequestContext.APIID, APIURL: edge.BaseURL(req)}, cid)
		cancel()
		logReport(l, rep, err, "http")
		if rep.Status == drift.Error {
			resp = httpapi.Problem(l, problem.Wrap(problem.Unavailable, errors.New(rep.Error), "the drift scan could not run"), cid)
		} else {
			// A report that could not be stored or announced is still the
			// truth about the deployment: answer it (the failure is logged).
			resp = httpapi.JSON(http.StatusOK, rep, cid)
		}
	}
	l.Info("request served", "method", method, "path", req.RawPath, "latest", latest, "status", resp.StatusCode)
	return resp
}

func logReport(l *slog.Logger, rep drift.Report, err error, trigger string) {
	attrs := []any{"trigger", trigger, "drift_status", rep.Status, "baseline", rep.Baseline,
		"pass", rep.Summary.Pass, "fail", rep.Summary.Fail, "skip", rep.Summary.Skip, "failed", rep.Failed()}
	if err != nil {
		l.Error("drift scan side effects failed", append(attrs, "error", err.Error())...)
		return
	}
	l.Info("drift scan finished", attrs...)
}
