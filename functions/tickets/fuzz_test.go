package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/triage"
)

// countingStore accepts every ticket; the fuzz test is about the HTTP edge,
// not storage (tested against DynamoDB Local elsewhere).
type countingStore struct{ n int }

func (c *countingStore) Put(context.Context, *tickets.Ticket) error { c.n++; return nil }

func (c *countingStore) PutWithKey(context.Context, *tickets.Ticket, idempotency.Key, idempotency.Record) error {
	c.n++
	return nil
}

// FuzzHTTP feeds arbitrary bodies, content types and base64 flags through
// the handler: it must always answer (never a Go error, never a panic), with
// 201 or a 4xx problem document, valid JSON, and the correlation header.
func FuzzHTTP(f *testing.F) {
	f.Add(`{"subject":"Test","body":"Test ticket","tier":"growth"}`, "application/json", false)
	f.Add(`eyJzdWJqZWN0IjoiVCIsImJvZHkiOiJCIn0=`, "application/json; charset=utf-8", true)
	f.Add(`{"subject":"S","body":"B","TIER":"agency"}`, "application/json", false)
	f.Add(`{"subject":"S","body":"B"} []`, "text/plain", false)
	f.Add("{\"subject\":\"S\",\"body\":\"\xff\"}", "application/json;charset=latin-1", false)
	f.Add(`!!!`, "application/json", true)
	h := &Handler{
		Function: "tickets",
		Logger:   logging.New(io.Discard, "levqor", "tickets"),
		Service: &tickets.Service{
			Store:    &countingStore{},
			Router:   triage.Rules{},
			Calendar: bizhours.Default(),
		},
		ColdStart: func() bool { return false },
	}
	f.Fuzz(func(t *testing.T, body, contentType string, b64 bool) {
		req := httpEvent(t, "tickets.json")
		req.Body, req.IsBase64Encoded = body, b64
		req.Headers["content-type"] = contentType
		resp := h.HTTP(context.Background(), req, edge.Call{RequestID: "fuzz"})
		if resp.StatusCode != 201 && (resp.StatusCode < 400 || resp.StatusCode > 499) {
			t.Fatalf("status %d for body %q: %s", resp.StatusCode, body, resp.Body)
		}
		if !json.Valid([]byte(resp.Body)) || resp.Headers["X-Correlation-ID"] == "" {
			t.Fatalf("answer %+v", resp)
		}
	})
}
