package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/invocation"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
)

// ScheduleSource is the source field of the schedule's Input.
const ScheduleSource = "levqor.schedule"

// HTTPTimeout bounds a scan requested over HTTP: API Gateway HTTP APIs give
// an integration at most 30 seconds, after which the caller gets a 503 and
// the report is lost. The scan itself leaves the scanner's Reserve of this
// for storing the report.
const HTTPTimeout = 28 * time.Second

// ErrUnsupportedEvent is returned for an invocation that is neither a
// warm-up, a schedule nor an HTTP API request.
var ErrUnsupportedEvent = errors.New("driftscan: unsupported event: want a warm-up, the schedule input or an HTTP API payload 2.0 request")

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
}

// event is every event the function takes, decoded once: an HTTP API
// request or the schedule's input.
type event struct {
	events.APIGatewayV2HTTPRequest
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	APIURL     string `json:"api_url"`
	APIID      string `json:"api_id"`
}

func (e *event) IsHTTP() bool { return e.RouteKey != "" || e.RequestContext.HTTP.Method != "" }

// Invoke is the Lambda entry point. A warm-up gets warmup.Response; the
// schedule's input ({"source":"levqor.schedule","api_url":...,"api_id":...},
// or a bare EventBridge "Scheduled Event") runs a scan and returns its
// report, with an error when the scan could not run or its report could not
// be stored or announced, so that EventBridge retries it; an HTTP API
// request gets its response and never a Go error. Anything else returns
// ErrUnsupportedEvent, or the JSON error when raw is not JSON.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	entry := invocation.Entry{Function: h.Function, Service: h.ServiceName, Logger: h.Logger, Metrics: h.Metrics, ColdStart: h.ColdStart}
	return entry.Dispatch(ctx, raw, &ev, invocation.Routes{
		HTTP: func(c invocation.Call) any {
			return h.HTTP(ctx, ev.APIGatewayV2HTTPRequest, cmp.Or(c.RequestID, ev.RequestContext.RequestID), c.Cold)
		},
		Respond: func(r httpapi.Response) any { return events.APIGatewayV2HTTPResponse(r) },
		Other: func(c invocation.Call) (any, error) {
			if ev.Source != ScheduleSource && (ev.Source != "aws.events" || ev.DetailType != "Scheduled Event") {
				return nil, c.Unsupported(ErrUnsupportedEvent)
			}
			return h.Scheduled(ctx, drift.Target{APIURL: ev.APIURL, APIID: ev.APIID}, c.RequestID, c.Cold)
		},
	})
}

// Scheduled runs the daily scan. It returns the report, and an error when the
// scan could not run or storing or alerting failed (the report is still
// returned for the invocation record).
func (h *Handler) Scheduled(ctx context.Context, t drift.Target, requestID string, cold bool) (drift.Report, error) {
	cid := correlation.New()
	l := logging.Invocation(h.Logger, requestID, cid, cold)
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
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, requestID string, cold bool) events.APIGatewayV2HTTPResponse {
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := logging.Invocation(h.Logger, requestID, cid, cold)
	ctx = logging.With(correlation.With(ctx, cid), l)
	method := req.RequestContext.HTTP.Method
	if caller := req.RequestContext.Authorizer; caller != nil && caller.IAM != nil {
		l = l.With("caller_arn", caller.IAM.UserARN)
	}

	var resp httpapi.Response
	latest, err := ParseQuery(req.RawQueryString)
	switch {
	case method != http.MethodGet:
		resp = httpapi.Problem(l, problem.Newf(problem.NotFound, "no route for %s %s", method, req.RawPath), cid)
	case err != nil:
		resp = httpapi.Problem(l, err, cid)
	case latest:
		rep, err := h.Reports.Latest(ctx)
		switch {
		case errors.Is(err, drift.ErrNoReport):
			resp = httpapi.Problem(l, problem.New(problem.NotFound, "no drift report has been stored yet; GET /api/ops/drift runs a scan"), cid)
		case err != nil:
			resp = httpapi.Problem(l, problem.Wrap(problem.Unavailable, err, "the report store is unavailable"), cid)
		default:
			resp = httpapi.JSON(http.StatusOK, rep, cid)
		}
	default:
		sctx, cancel := context.WithTimeout(ctx, HTTPTimeout)
		rep, err := h.Runner.Run(sctx, TargetOf(req), cid)
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
	return events.APIGatewayV2HTTPResponse(resp)
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

// TargetOf derives the deployed API from an HTTP API request: its id, and
// its base URL from the domain, the stage ($default has no path segment)
// and X-Forwarded-Proto (https on API Gateway; the local gateway sends http).
func TargetOf(req events.APIGatewayV2HTTPRequest) drift.Target {
	rc := req.RequestContext
	t := drift.Target{APIID: rc.APIID}
	if rc.DomainName == "" {
		return t
	}
	scheme := strings.ToLower(httpapi.Header(req.Headers, "X-Forwarded-Proto"))
	if scheme != "http" {
		scheme = "https"
	}
	t.APIURL = scheme + "://" + rc.DomainName
	if rc.Stage != "" && rc.Stage != "$default" {
		t.APIURL += "/" + url.PathEscape(rc.Stage)
	}
	return t
}

var errLatest = problem.Invalid("latest", "invalid", "latest must be 1, true, 0 or false")

// ParseQuery reads the one parameter of GET /api/ops/drift from a raw query
// string: latest=1 or latest=true (any case) returns the stored report,
// latest=0, latest=false or an empty value scans. Any other value, or a
// query that does not decode, is a Validation problem naming the field.
// Other parameters are ignored (cache-busters).
func ParseQuery(raw string) (latest bool, err error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		if strings.Contains(raw, "latest") {
			return false, errLatest
		}
		return false, nil
	}
	for _, v := range q["latest"] {
		switch strings.ToLower(v) {
		case "1", "true":
			latest = true
		case "", "0", "false":
			latest = false
		default:
			return false, errLatest
		}
	}
	return latest, nil
}
