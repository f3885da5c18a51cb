// Package problem is the project's one error model: coded application errors,
// the single table from code to HTTP status, and RFC 9457 problem documents.
//
// Every layer returns *Error for failures a caller can act on. Anything else
// that reaches the edge is an internal error: it is logged with its detail by
// the caller and answered without it.
package problem

import (
	"errors"
	"fmt"
	"time"
)

// TypeBase prefixes every problem type URI.
const TypeBase = "https://levqor.ai/problems/"

// ContentType is the media type of a problem document (RFC 9457 section 3).
const ContentType = "application/problem+json"

// Code names a class of failure. Its string is the last segment of the type URI.
type Code string

// The codes. Add one here and to table below, nowhere else.
const (
	Validation          Code = "validation-error"
	MalformedJSON       Code = "malformed-json"
	UnsupportedMedia    Code = "unsupported-media-type"
	TooLarge            Code = "payload-too-large"
	Forbidden           Code = "forbidden"
	NotFound            Code = "not-found"
	IdempotencyInFlight Code = "idempotency-in-flight"
	IdempotencyMismatch Code = "idempotency-key-mismatch"
	Unavailable         Code = "service-unavailable"
	Internal            Code = "internal-error"
)

type entry struct {
	status int
	title  string
}

// table is the one mapping from code to HTTP status and title.
var table = map[Code]entry{
	Validation:          {400, "Invalid request"},
	MalformedJSON:       {400, "Malformed JSON"},
	Forbidden:           {403, "Forbidden"},
	NotFound:            {404, "Not found"},
	IdempotencyInFlight: {409, "Request already in progress"},
	TooLarge:            {413, "Payload too large"},
	UnsupportedMedia:    {415, "Unsupported media type"},
	IdempotencyMismatch: {422, "Idempotency key reused with a different request"},
	Internal:            {500, "Internal server error"},
	Unavailable:         {503, "Service unavailable"},
}

// Status returns the HTTP status for code; unknown codes map to 500.
func Status(c Code) int {
	if e, ok := table[c]; ok {
		return e.status
	}
	return 500
}

// Title returns the short, fixed human title for code.
func Title(c Code) string {
	if e, ok := table[c]; ok {
		return e.title
	}
	return table[Internal].title
}

// FieldError names one invalid input field and why it was refused.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is a coded application error. Detail is safe to show to the caller;
// Err, when set, is the cause and is only ever logged.
type Error struct {
	Code       Code
	Detail     string
	Fields     []FieldError
	RetryAfter time.Duration
	Err        error
}

// Error implements error with the code and detail (and cause, for logs).
func (e *Error) Error() string {
	s := string(e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with code and a caller-safe detail.
func New(c Code, detail string) *Error { return &Error{Code: c, Detail: detail} }

// Newf is New with a format string.
func Newf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Detail: fmt.Sprintf(format, args...)}
}

// Invalid returns a Validation error for one field; detail is "<field> <reason>"
// unless given.
func Invalid(field, reason, detail string) *Error {
	if detail == "" {
		detail = field + " " + reason
	}
	return &Error{Code: Validation, Detail: detail, Fields: []FieldError{{Field: field, Reason: reason}}}
}

// Wrap returns an *Error with code whose cause is err (kept out of responses).
func Wrap(c Code, err error, detail string) *Error {
	return &Error{Code: c, Detail: detail, Err: err}
}

// CodeOf returns the code of err: its *Error's code, or Internal.
func CodeOf(err error) Code {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return Internal
}

// Document is an RFC 9457 problem details body with the project's extensions.
type Document struct {
	Type          string       `json:"type"`
	Title         string       `json:"title"`
	Status        int          `json:"status"`
	Detail        string       `json:"detail,omitempty"`
	Instance      string       `json:"instance,omitempty"`
	CorrelationID string       `json:"correlation_id,omitempty"`
	Errors        []FieldError `json:"errors,omitempty"`
}

// From builds the document for err. Errors that are not *Error, and *Error
// with code Internal, answer with a fixed detail so nothing internal leaks.
// The second result is the Retry-After delay, zero when none applies.
func From(err error, correlationID string) (Document, time.Duration) {
	var pe *Error
	if !errors.As(err, &pe) || pe.Code == Internal {
		pe = &Error{Code: Internal, Detail: "An unexpected error occurred. Quote the correlation id when reporting it."}
	}
	retryAfter := pe.RetryAfter
	if pe.Code == Unavailable && retryAfter <= 0 {
		retryAfter = 5 * time.Second
	}
	if _, ok := table[pe.Code]; !ok {
		pe = &Error{Code: Internal, Detail: "An unexpected error occurred."}
	}
	return Document{
		Type:          TypeBase + string(pe.Code),
		Title:         Title(pe.Code),
		Status:        Status(pe.Code),
		Detail:        pe.Detail,
		CorrelationID: correlationID,
		Errors:        pe.Fields,
	}, retryAfter
}
