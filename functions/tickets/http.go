package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tickets"
)

// HTTP answers one POST /api/support/tickets request, always with a
// response (a problem document for every failure), and logs exactly one
// line about it: ids, tier, status and latency, never the subject, body,
// email or any header value but the correlation id.
func (h *Handler) HTTP(ctx context.Context, req events.APIGatewayV2HTTPRequest, c edge.Call) events.APIGatewayV2HTTPResponse {
	start := time.Now()
	cid := correlation.FromHeader(httpapi.Header(req.Headers, correlation.Header))
	l := c.Logger(h.Logger, cid)
	ctx = logging.With(correlation.With(ctx, cid), l)
	ctx, cancel := context.WithDeadline(ctx, h.deadline(ctx, start))
	defer cancel()

	res, err := h.create(ctx, req, cid)
	var resp events.APIGatewayV2HTTPResponse
	if err != nil {
		resp = httpapi.Problem(nil, err, cid) // logged below, once
	} else {
		resp = events.APIGatewayV2HTTPResponse{
			StatusCode: res.Status,
			Headers: map[string]string{
				"Content-Type":     "application/json",
				"Cache-Control":    "no-store",
				correlation.Header: cid,
			},
			Body: string(res.Body),
		}
		if res.Replayed {
			resp.Headers[idempotency.ReplayedHeader] = "true"
		}
	}

	attrs := []any{
		"status", resp.StatusCode,
		"latency_ms", float64(time.Since(start).Microseconds()) / 1000,
		"ticket_id", res.TicketID,
		"tier", string(res.Tier),
		"replayed", res.Replayed,
	}
	switch {
	case err == nil:
		l.Info("ticket request", attrs...)
	case resp.StatusCode >= 500:
		l.Error("ticket request failed", append(attrs, "problem", string(problem.CodeOf(err)), "error", err.Error())...)
	default:
		l.Info("ticket request refused", append(attrs, "problem", string(problem.CodeOf(err)))...)
	}
	return resp
}

// deadline is when DynamoDB work must stop: Budget after start, or the
// invocation's own deadline less SafetyMargin when that is sooner.
func (h *Handler) deadline(ctx context.Context, start time.Time) time.Time {
	budget := h.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	d := start.Add(budget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-SafetyMargin).Before(d) {
		d = dl.Add(-SafetyMargin)
	}
	return d
}

// create turns the HTTP request into a Service call. Its errors are
// *problem.Error.
func (h *Handler) create(ctx context.Context, req events.APIGatewayV2HTTPRequest, cid string) (tickets.Result, error) {
	if req.RequestContext.HTTP.Method != "" && req.RequestContext.HTTP.Method != http.MethodPost {
		return tickets.Result{}, problem.New(problem.NotFound, "no such route")
	}
	body, err := httpapi.RequestText(req, tickets.MaxRequestBytes, "application/json")
	if err != nil {
		return tickets.Result{}, err
	}
	parsed, err := tickets.Parse(body)
	if err != nil {
		return tickets.Result{}, err
	}
	id, err := identify(req.RequestContext)
	if err != nil {
		return tickets.Result{}, err
	}
	meta := tickets.Meta{CorrelationID: cid, VerifiedTier: id.Tier}
	if v, ok := header(req.Headers, idempotency.Header); ok {
		key, err := idempotency.ParseKey(strings.TrimSpace(v))
		if err != nil {
			return tickets.Result{}, err
		}
		meta.IdempotencyKey = idempotency.Key{Scope: id.Scope, Value: key}
	}
	return h.Service.Create(ctx, parsed, meta)
}

// header is httpapi.Header that also says whether the header was sent, so
// an empty Idempotency-Key is refused rather than ignored.
func header(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
