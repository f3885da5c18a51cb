package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/problem"
)

func TestHeader(t *testing.T) {
	h := map[string]string{"content-type": "application/json", "X-Correlation-ID": "abc12345", "Idempotency-key": "k"}
	cases := []struct{ name, want string }{
		{"Content-Type", "application/json"},
		{"content-type", "application/json"},
		{"x-correlation-id", "abc12345"},
		{"X-Correlation-ID", "abc12345"},
		{"IDEMPOTENCY-KEY", "k"},
		{"Authorization", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Header(h, tc.name); got != tc.want {
				t.Errorf("Header(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
	if Header(nil, "x") != "" {
		t.Error("nil map")
	}
}

func TestBody(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		b64    bool
		want   string
		status int // problem status when an error is expected
	}{
		{"plain", `{"a":1}`, false, `{"a":1}`, 0},
		{"base64", base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)), true, `{"a":1}`, 0},
		{"empty base64", "", true, "", 0},
		{"broken base64", "%%%not-base64", true, "", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Body(tc.body, tc.b64)
			if tc.status != 0 {
				if err == nil || problem.Status(problem.CodeOf(err)) != tc.status {
					t.Fatalf("err %v, want a %d problem", err, tc.status)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("Body = %q, %v", got, err)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	r := JSON(201, map[string]any{"status": "received"}, "cid-12345678")
	if r.StatusCode != 201 || r.Body != `{"status":"received"}` {
		t.Errorf("response %+v", r)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", correlation.Header: "cid-12345678"} {
		if r.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, r.Headers[k], v)
		}
	}
	// A value JSON cannot encode answers 500, never a partial body.
	bad := JSON(200, map[string]any{"c": make(chan int)}, "cid-12345678")
	if bad.StatusCode != 500 || bad.Headers["Content-Type"] != problem.ContentType {
		t.Errorf("unencodable value answered %+v", bad)
	}
}

func TestProblem(t *testing.T) {
	secret := errors.New("dial tcp 10.1.2.3:8000: connection refused")
	cases := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		level      string // level of the log record
		logDetail  bool   // the cause appears in the log
	}{
		{"validation", problem.Invalid("subject", "required", ""), 400, "", "info", false},
		{"internal", secret, 500, "", "error", true},
		{"unavailable default", problem.Wrap(problem.Unavailable, secret, "storage unavailable"), 503, "5", "error", true},
		{"unavailable rounds up", &problem.Error{Code: problem.Unavailable, RetryAfter: 2500 * time.Millisecond}, 503, "3", "error", false},
		{"in flight", problem.New(problem.IdempotencyInFlight, "in progress"), 409, "", "info", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := slog.New(slog.NewJSONHandler(&logs, nil))
			r := Problem(l, tc.err, "cid-12345678")
			if r.StatusCode != tc.status {
				t.Errorf("status %d, want %d", r.StatusCode, tc.status)
			}
			if r.Headers["Content-Type"] != problem.ContentType || r.Headers[correlation.Header] != "cid-12345678" {
				t.Errorf("headers %v", r.Headers)
			}
			if r.Headers["Retry-After"] != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", r.Headers["Retry-After"], tc.retryAfter)
			}
			var doc problem.Document
			if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Status != tc.status || doc.CorrelationID != "cid-12345678" {
				t.Errorf("document %+v", doc)
			}
			if strings.Contains(r.Body, "10.1.2.3") {
				t.Errorf("internal detail in the response: %s", r.Body)
			}
			if !strings.Contains(logs.String(), `"level":"`+strings.ToUpper(tc.level)+`"`) {
				t.Errorf("log %s, want level %s", logs.String(), tc.level)
			}
			if got := strings.Contains(logs.String(), "10.1.2.3"); got != tc.logDetail {
				t.Errorf("cause logged = %v, want %v: %s", got, tc.logDetail, logs.String())
			}
		})
	}
	// A nil logger is allowed.
	if r := Problem(nil, errors.New("x"), "c"); r.StatusCode != 500 {
		t.Errorf("nil logger: %d", r.StatusCode)
	}
}
