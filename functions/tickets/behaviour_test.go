package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/tiers"
)

// jwtRequest is AWS's JWT-authorizer payload shape (events/tickets-jwt.json)
// with the given claims and body.
func jwtRequest(t *testing.T, claims map[string]string, body string) events.APIGatewayV2HTTPRequest {
	req := httpEvent(t, "tickets-jwt.json")
	req.RequestContext.Authorizer.JWT.Claims = claims
	req.Body = body
	return req
}

func TestJWTTier(t *testing.T) {
	e := newEnv(t)
	base := func(extra map[string]string) map[string]string {
		c := map[string]string{"iss": "https://issuer.example", "sub": "user-1", "aud": "levqor-api"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name     string
		claims   map[string]string
		body     string
		status   int
		wantTier tiers.Tier
	}{
		{"tier from levqor_tier", base(map[string]string{"levqor_tier": "agency"}), `{"subject":"S","body":"B"}`, 201, tiers.Agency},
		{"tier from Cognito custom:tier", base(map[string]string{"custom:tier": "launch"}), `{"subject":"S","body":"B"}`, 201, tiers.Launch},
		{"no tier claim is a verified starter", base(nil), `{"subject":"S","body":"B"}`, 201, tiers.Starter},
		{"body claiming the same tier", base(map[string]string{"levqor_tier": "growth"}), `{"subject":"S","body":"B","tier":"growth"}`, 201, tiers.Growth},
		{"body claiming a lower tier keeps the token's", base(map[string]string{"levqor_tier": "growth"}), `{"subject":"S","body":"B","tier":"starter"}`, 201, tiers.Growth},
		{"body claiming a higher tier", base(map[string]string{"levqor_tier": "launch"}), `{"subject":"S","body":"B","tier":"agency"}`, 403, ""},
		{"higher than a token without tier", base(nil), `{"subject":"S","body":"B","tier":"launch"}`, 403, ""},
		{"unknown tier in token", base(map[string]string{"levqor_tier": "platinum"}), `{"subject":"S","body":"B"}`, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.send(t, jwtRequest(t, tc.claims, tc.body))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			if tc.status != 201 {
				checkProblemResponse(t, resp, tc.status, "")
				return
			}
			var doc tickets.Response
			_ = json.Unmarshal([]byte(resp.Body), &doc)
			got := e.ticket(t, doc.TicketID)
			cfg, _ := tiers.Get(tc.wantTier)
			if got.Tier != tc.wantTier || got.TierSource != tickets.Verified || doc.SLAHours != cfg.SLAHours {
				t.Errorf("stored %s/%s, answered sla %d; want %s/verified sla %d", got.Tier, got.TierSource, doc.SLAHours, tc.wantTier, cfg.SLAHours)
			}
		})
	}
	t.Run("anonymous keeps the seed's behaviour, claimed", func(t *testing.T) {
		req := httpEvent(t, "tickets.json")
		req.Body = `{"subject":"S","body":"B","tier":"agency"}`
		resp := e.send(t, req)
		var doc tickets.Response
		_ = json.Unmarshal([]byte(resp.Body), &doc)
		if got := e.ticket(t, doc.TicketID); got.Tier != tiers.Agency || got.TierSource != tickets.Claimed {
			t.Errorf("stored %s/%s", got.Tier, got.TierSource)
		}
	})
}

func withKey(t *testing.T, key, ip, body string) events.APIGatewayV2HTTPRequest {
	req := httpEvent(t, "tickets-idempotent.json")
	req.Headers["idempotency-key"] = key
	req.RequestContext.HTTP.SourceIP = ip
	if body != "" {
		req.Body = body
	}
	return req
}

func TestIdempotencyThroughHandler(t *testing.T) {
	e := newEnv(t)
	first := e.send(t, withKey(t, "k-1", "198.51.100.10", ""))
	if first.StatusCode != 201 {
		t.Fatalf("first: %d %s", first.StatusCode, first.Body)
	}
	t.Run("same key and body replays the first response", func(t *testing.T) {
		req := withKey(t, "k-1", "198.51.100.10", "")
		req.Body = " " + req.Body + "\n" // insignificant whitespace is the same request
		again := e.send(t, req)
		if again.StatusCode != 201 || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
			t.Fatalf("replay %d %q (replayed=%q), want the first body %q", again.StatusCode, again.Body, again.Headers["Idempotent-Replayed"], first.Body)
		}
	})
	t.Run("same key, other body is 422 and stores nothing", func(t *testing.T) {
		before := len(e.ticketItems(t))
		resp := e.send(t, withKey(t, "k-1", "198.51.100.10", `{"subject":"Other","body":"Other","tier":"growth"}`))
		checkProblemResponse(t, resp, 422, "")
		if n := len(e.ticketItems(t)); n != before {
			t.Errorf("422 stored %d tickets", n-before)
		}
	})
	t.Run("another client's same key is its own", func(t *testing.T) {
		other := e.send(t, withKey(t, "k-1", "198.51.100.99", ""))
		if other.StatusCode != 201 || other.Body == first.Body {
			t.Fatalf("another client got %d %s; must not see the first client's ticket", other.StatusCode, other.Body)
		}
	})
	if n := len(e.ticketItems(t)); n != 2 {
		t.Errorf("%d tickets stored, want 2 (one per client)", n)
	}
}

// TestIdempotencyConcurrent: 50 identical requests at once with one key
// create exactly one ticket, and all 50 answers are that 201, byte for byte:
// the ticket and the key's record are one transaction, so there is no
// in-progress state to answer 409 about.
func TestIdempotencyConcurrent(t *testing.T) {
	e := newEnv(t)
	const n = 50
	resps := make([]events.APIGatewayV2HTTPResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resps[i] = e.send(t, withKey(t, "concurrent-key", "198.51.100.20", ""))
		}()
	}
	close(start)
	wg.Wait()
	created, replays := "", 0
	for _, r := range resps {
		if r.StatusCode != 201 {
			t.Fatalf("answer %d %s, want every one the 201", r.StatusCode, r.Body)
		}
		if created == "" {
			created = r.Body
		} else if r.Body != created {
			t.Fatalf("two different 201 bodies:\n%s\n%s", created, r.Body)
		}
		if r.Headers["Idempotent-Replayed"] == "true" {
			replays++
		}
	}
	if items := e.ticketItems(t); len(items) != 1 {
		t.Fatalf("%d tickets stored, want exactly 1", len(items))
	}
	if replays != n-1 {
		t.Errorf("%d replays, want %d (one request created the ticket)", replays, n-1)
	}
}

// closedEndpoint is an address nothing listens on: DynamoDB "down".
func closedEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestDynamoDBDown(t *testing.T) {
	good := newEnv(t)
	down := sdkDynamo(closedEndpoint(t))
	t.Run("all of DynamoDB down is 503 with Retry-After", func(t *testing.T) {
		e := newEnvWith(t, down, down, good.table)
		for _, f := range []string{"tickets.json", "tickets-idempotent.json"} {
			resp := e.invoke(t, eventfile.Read(t, f, nil))
			checkProblemResponse(t, resp, 503, "")
			if resp.Headers["Retry-After"] == "" {
				t.Errorf("%s: 503 without Retry-After", f)
			}
			if strings.Contains(resp.Body, "127.0.0.1") || strings.Contains(resp.Body, "dial") {
				t.Errorf("%s: internal detail leaked: %s", f, resp.Body)
			}
		}
	})
	t.Run("ticket write fails after the key was claimed: key freed, retry succeeds", func(t *testing.T) {
		half := newEnvWith(t, down, good.db, good.table)
		req := withKey(t, "retry-after-failure", "198.51.100.30", "")
		resp := half.send(t, req)
		checkProblemResponse(t, resp, 503, "")
		if n := len(good.ticketItems(t)); n != 0 {
			t.Fatalf("failed request left %d tickets", n)
		}
		again := good.send(t, req)
		if again.StatusCode != 201 || again.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("retry: %d %s (replayed=%q), want a fresh 201", again.StatusCode, again.Body, again.Headers["Idempotent-Replayed"])
		}
	})
}

// TestLogsNeverCarryCustomerContent: markers in the body, subject and email
// (with CRLF) never reach the log, and every record is one JSON line.
func TestLogsNeverCarryCustomerContent(t *testing.T) {
	e := newEnv(t)
	markers := []string{"BODYMARKER7731", "SUBJMARKER7731", "MAILMARKER7731"}
	bodies := []string{
		`{"subject":"SUBJMARKER7731","body":"BODYMARKER7731\r\nsecond line\r\n{\"level\":\"error\"}","email":"MAILMARKER7731@example.com","tier":"growth"}`,
		`{"subject":"SUBJMARKER7731\r\n","body":"BODYMARKER7731\r\n","email":"MAILMARKER7731@example.com"}`, // refused: control characters
		`{"subject":"SUBJMARKER7731","body":"BODYMARKER7731","email":"MAILMARKER7731 @x"}`,                  // refused: email
		`{"subject":"SUBJMARKER7731","body":"BODYMARKER7731","BODYMARKER7731":"x"}`,                         // refused: unknown field
	}
	for _, b := range bodies {
		req := httpEvent(t, "tickets.json")
		req.Body = b
		req.Headers["authorization"] = "Bearer TOKENMARKER7731"
		e.send(t, req)
	}
	out := e.logs.String()
	for _, m := range append(markers, "TOKENMARKER7731") {
		if strings.Contains(out, m) {
			t.Errorf("log output contains %s:\n%s", m, out)
		}
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(bodies) {
		t.Errorf("%d log lines for %d requests, want one each:\n%s", len(lines), len(bodies), out)
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not one JSON record: %q", l)
		}
		for _, k := range []string{"timestamp", "level", "message", "service", "function_name", "cold_start", "request_id", "correlation_id", "status", "latency_ms"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("log record lacks %s: %s", k, l)
			}
		}
	}
}

// TestSlowDynamoDBAnswersBeforeTheDeadline: a DynamoDB that never answers
// gets a 503 once the request's budget is spent, not a Lambda timeout.
func TestSlowDynamoDBAnswersBeforeTheDeadline(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	slow := sdkDynamo(srv.URL)
	e := newEnvWith(t, slow, slow, "t")
	e.h.Budget = 300 * time.Millisecond
	start := time.Now()
	resp := e.invoke(t, eventfile.Read(t, "tickets-idempotent.json", nil))
	checkProblemResponse(t, resp, 503, "")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("answered after %v with a 300ms budget", d)
	}
}

func TestDeadline(t *testing.T) {
	h := &Handler{}
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		invokeDL time.Duration // 0: no invocation deadline
		want     time.Duration
	}{
		{"no invocation deadline: the budget", 0, DefaultBudget},
		{"10 s function timeout: the budget", 10 * time.Second, DefaultBudget},
		{"little time left: deadline less the margin", 3 * time.Second, 3*time.Second - SafetyMargin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.invokeDL > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tc.invokeDL))
				defer cancel()
			}
			if got := h.deadline(ctx, start).Sub(start); got != tc.want {
				t.Errorf("deadline = start+%v, want start+%v", got, tc.want)
			}
		})
	}
}
