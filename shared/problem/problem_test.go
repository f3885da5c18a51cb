package problem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestStatusTable(t *testing.T) {
	cases := []struct {
		code   Code
		status int
	}{
		{Validation, 400}, {MalformedJSON, 400}, {Forbidden, 403}, {NotFound, 404},
		{IdempotencyInFlight, 409}, {TooLarge, 413}, {UnsupportedMedia, 415},
		{IdempotencyMismatch, 422}, {Internal, 500}, {Unavailable, 503},
		{Code("no-such-code"), 500},
	}
	for _, tc := range cases {
		t.Run(string(tc.code), func(t *testing.T) {
			if got := Status(tc.code); got != tc.status {
				t.Errorf("Status(%s) = %d, want %d", tc.code, got, tc.status)
			}
			if Title(tc.code) == "" {
				t.Errorf("Title(%s) is empty", tc.code)
			}
		})
	}
	if Title("no-such-code") != Title(Internal) {
		t.Error("unknown code should take the internal title")
	}
}

func TestFrom(t *testing.T) {
	secret := errors.New("dial tcp 10.0.0.1:443: table levqor-prod secret-ish detail")
	cases := []struct {
		name       string
		err        error
		status     int
		typ        Code
		detail     string // exact when not empty
		noLeak     bool
		retryAfter time.Duration
		fields     int
	}{
		{"validation", Invalid("subject", "required", ""), 400, Validation, "subject required", false, 0, 1},
		{"validation with detail", Invalid("tier", "invalid", "tier must be one of x"), 400, Validation, "tier must be one of x", false, 0, 1},
		{"plain error is internal", secret, 500, Internal, "", true, 0, 0},
		{"wrapped internal hides detail", Wrap(Internal, secret, "db exploded at row 7"), 500, Internal, "", true, 0, 0},
		{"wrapped internal in fmt", fmt.Errorf("store: %w", Wrap(Internal, secret, "x")), 500, Internal, "", true, 0, 0},
		{"unavailable default retry", Wrap(Unavailable, secret, "storage unavailable"), 503, Unavailable, "storage unavailable", true, 5 * time.Second, 0},
		{"unavailable explicit retry", &Error{Code: Unavailable, Detail: "later", RetryAfter: 2 * time.Second}, 503, Unavailable, "later", false, 2 * time.Second, 0},
		{"unknown code", &Error{Code: "bogus", Detail: "leak me"}, 500, Internal, "", true, 0, 0},
		{"in flight", New(IdempotencyInFlight, "in progress"), 409, IdempotencyInFlight, "in progress", false, 0, 0},
		{"mismatch", Newf(IdempotencyMismatch, "key %s reused", "k1"), 422, IdempotencyMismatch, "key k1 reused", false, 0, 0},
		{"wrapped 4xx still coded", fmt.Errorf("decode: %w", New(TooLarge, "too big")), 413, TooLarge, "too big", false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, ra := From(tc.err, "cid-12345678")
			if doc.Status != tc.status {
				t.Errorf("status %d, want %d", doc.Status, tc.status)
			}
			if doc.Type != TypeBase+string(tc.typ) {
				t.Errorf("type %q", doc.Type)
			}
			if doc.Title != Title(tc.typ) {
				t.Errorf("title %q", doc.Title)
			}
			if tc.detail != "" && doc.Detail != tc.detail {
				t.Errorf("detail %q, want %q", doc.Detail, tc.detail)
			}
			if tc.noLeak && (strings.Contains(doc.Detail, "10.0.0.1") || strings.Contains(doc.Detail, "leak") || strings.Contains(doc.Detail, "row 7")) {
				t.Errorf("internal detail leaked: %q", doc.Detail)
			}
			if tc.status == 500 && doc.Detail == "" {
				t.Error("internal errors should still say something")
			}
			if ra != tc.retryAfter {
				t.Errorf("retry after %v, want %v", ra, tc.retryAfter)
			}
			if len(doc.Errors) != tc.fields {
				t.Errorf("errors %v", doc.Errors)
			}
			if doc.CorrelationID != "cid-12345678" {
				t.Errorf("correlation id %q", doc.CorrelationID)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	cause := errors.New("cause")
	cases := []struct {
		err  *Error
		want string
	}{
		{New(NotFound, ""), "not-found"},
		{New(NotFound, "no ticket"), "not-found: no ticket"},
		{Wrap(Unavailable, cause, "down"), "service-unavailable: down: cause"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if !errors.Is(Wrap(Internal, cause, ""), cause) {
		t.Error("Unwrap does not reach the cause")
	}
}

func TestCodeOf(t *testing.T) {
	if CodeOf(errors.New("x")) != Internal {
		t.Error("plain error")
	}
	if CodeOf(fmt.Errorf("a: %w", New(Forbidden, ""))) != Forbidden {
		t.Error("wrapped coded error")
	}
	if CodeOf(nil) != Internal {
		t.Error("nil")
	}
}
