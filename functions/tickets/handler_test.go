package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/warmup"
)

// seedBody is the seed's 201 document with the id and correlation id left
// open: its fields, their order and its words must hold exactly.
var seedBody = regexp.MustCompile(`^\{"status":"received","ticket_id":"TKT-[0-9A-HJKMNP-TV-Z]{8}","correlation_id":"([^"]+)","sla_hours":(\d+),"message":"Ticket created successfully\. Expected response within (\d+) business hours\."`)

// eventCases lists the expected answer to every events/tickets*.json HTTP
// request; TestEventFiles fails when a file is missing from here.
var eventCases = map[string]struct {
	status int
	field  string // problem field, for refusals that name one
	tier   tiers.Tier
	source tickets.TierSource
}{
	"tickets.json":                          {status: 201, tier: tiers.Growth, source: tickets.Claimed},
	"tickets-idempotent.json":               {status: 201, tier: tiers.Growth, source: tickets.Claimed},
	"tickets-base64.json":                   {status: 201, tier: tiers.Growth, source: tickets.Claimed},
	"tickets-charset.json":                  {status: 201, tier: tiers.Growth, source: tickets.Claimed},
	"tickets-jwt.json":                      {status: 201, tier: tiers.Growth, source: tickets.Verified},
	"tickets-jwt-overclaim.json":            {status: 403, field: "tier"},
	"tickets-invalid-bad-json.json":         {status: 400},
	"tickets-invalid-unknown-tier.json":     {status: 400, field: "tier"},
	"tickets-invalid-missing-subject.json":  {status: 400, field: "subject"},
	"tickets-invalid-subject-too-long.json": {status: 400, field: "subject"},
	"tickets-invalid-subject-control.json":  {status: 400, field: "subject"},
	"tickets-invalid-content-type.json":     {status: 415},
	"tickets-invalid-no-content-type.json":  {status: 415},
	"tickets-invalid-unknown-field.json":    {status: 400, field: "priority"},
	"tickets-invalid-duplicate-key.json":    {status: 400, field: "tier"},
	"tickets-invalid-case-variant.json":     {status: 400, field: "TIER"},
	"tickets-invalid-trailing-data.json":    {status: 400},
	"tickets-invalid-non-utf8.json":         {status: 400, field: "body"},
	"tickets-invalid-base64.json":           {status: 400},
	"tickets-invalid-too-large.json":        {status: 413},
	"tickets-invalid-email.json":            {status: 400, field: "email"},
	"tickets-invalid-idempotency-key.json":  {status: 400, field: "Idempotency-Key"},
	"tickets-invalid-array.json":            {status: 400},
	// AWS's own samples are GET requests, which API Gateway never routes
	// here; they are answered as API Gateway answers an unknown route.
	"aws/apigw-v2-request-jwt-authorizer.json": {status: 404},
	"aws/apigw-v2-request-no-authorizer.json":  {status: 404},
}

func TestEventFiles(t *testing.T) {
	e := newEnv(t)
	files, _ := filepath.Glob("../../events/tickets*.json")
	for _, f := range files {
		if _, ok := eventCases[filepath.Base(f)]; !ok && !strings.HasSuffix(f, "-stream.json") {
			t.Errorf("%s has no expected answer in eventCases", f)
		}
	}
	for name, want := range eventCases {
		t.Run(name, func(t *testing.T) {
			before := len(e.ticketItems(t))
			raw := eventfile.Read(t, name, nil)
			resp := e.invoke(t, raw)
			if resp.StatusCode != want.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, want.status, resp.Body)
			}
			var req events.APIGatewayV2HTTPRequest
			_ = json.Unmarshal(raw, &req)
			if cid := req.Headers["x-correlation-id"]; cid != "" && resp.Headers["X-Correlation-ID"] != cid {
				t.Errorf("X-Correlation-ID = %q, want the request's %q", resp.Headers["X-Correlation-ID"], cid)
			}
			if resp.Headers["X-Correlation-ID"] == "" {
				t.Error("no X-Correlation-ID")
			}
			created := len(e.ticketItems(t)) - before
			if want.status != 201 {
				checkProblemResponse(t, resp, want.status, want.field)
				if created != 0 {
					t.Errorf("a refused request stored %d tickets", created)
				}
				return
			}
			m := seedBody.FindStringSubmatch(resp.Body)
			if m == nil {
				t.Fatalf("201 body does not start with the seed's document: %s", resp.Body)
			}
			if m[2] != m[3] || resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("sla_hours %s vs message %s, content type %q", m[2], m[3], resp.Headers["Content-Type"])
			}
			var doc tickets.Response
			if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
				t.Fatal(err)
			}
			stored := e.ticket(t, doc.TicketID)
			if stored.Tier != want.tier || stored.TierSource != want.source || stored.CorrelationID != doc.CorrelationID {
				t.Errorf("stored tier %s/%s cid %s; want %s/%s cid %s", stored.Tier, stored.TierSource, stored.CorrelationID, want.tier, want.source, doc.CorrelationID)
			}
			if created != 1 {
				t.Errorf("created %d tickets, want 1", created)
			}
		})
	}
}

func checkProblemResponse(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int, field string) problem.Document {
	t.Helper()
	if resp.Headers["Content-Type"] != problem.ContentType {
		t.Errorf("Content-Type = %q, want %s", resp.Headers["Content-Type"], problem.ContentType)
	}
	var doc problem.Document
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
		t.Fatalf("problem body: %v: %s", err, resp.Body)
	}
	if doc.Status != status || doc.Detail == "" || !strings.HasPrefix(doc.Type, problem.TypeBase) || doc.CorrelationID == "" {
		t.Errorf("problem document %+v", doc)
	}
	if field != "" && (len(doc.Errors) == 0 || doc.Errors[0].Field != field) {
		t.Errorf("problem names %+v, want field %q", doc.Errors, field)
	}
	return doc
}

func TestSeedAnswer(t *testing.T) {
	e := newEnv(t)
	resp := e.invoke(t, eventfile.Read(t, "tickets.json", nil))
	var doc map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"status": "received", "correlation_id": "req-7f3c2a9e-tickets-01", "sla_hours": float64(12),
		"message":  "Ticket created successfully. Expected response within 12 business hours.",
		"priority": "high", "ai_routed": true, "human_escalation": true,
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %v", k, doc[k], v)
		}
	}
	if _, ok := doc["sla_due_at"].(string); !ok {
		t.Error("no sla_due_at")
	}
}

func TestCorrelationID(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, in string
		kept     bool
	}{
		{"well-formed kept", "client-req-0001", true},
		{"with CRLF replaced", "abc\r\nX-Evil: 1", false},
		{"too short replaced", "abc", false},
		{"absent generated", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httpEvent(t, "tickets-invalid-missing-subject.json")
			req.Headers["x-correlation-id"] = tc.in
			resp := e.send(t, req)
			got := resp.Headers["X-Correlation-ID"]
			if tc.kept != (got == tc.in) || got == "" || strings.ContainsAny(got, "\r\n") {
				t.Errorf("X-Correlation-ID = %q for %q", got, tc.in)
			}
		})
	}
}

func TestWarmupAndUnsupported(t *testing.T) {
	e := newEnvWith(t, nil, nil, "unused") // a warm-up must not touch DynamoDB
	out, err := e.h.Invoke(context.Background(), []byte(warmup.Payload))
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := out.(warmup.Response); !ok || !w.Warm || w.Function != "tickets" {
		t.Fatalf("warm-up answer %#v", out)
	}
	t.Run("HTTP-shaped but undecodable is still answered over HTTP", func(t *testing.T) {
		resp := e.invoke(t, []byte(`{"routeKey":"POST /api/support/tickets","requestContext":"broken"}`))
		checkProblemResponse(t, resp, 500, "")
	})
	for _, raw := range []string{`{"source":"levqor.schedule"}`, `{"Records":[{"eventSource":"aws:sqs"}]}`, `[]`, `nope`} {
		if _, err := e.h.Invoke(context.Background(), []byte(raw)); err == nil {
			t.Errorf("Invoke(%s) = nil error, want unsupported", raw)
		} else if raw == `{"source":"levqor.schedule"}` && !errors.Is(err, edge.ErrUnsupported) {
			t.Errorf("Invoke(%s) = %v", raw, err)
		}
	}
}
