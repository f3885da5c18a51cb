// Package logging writes the project's structured logs: one JSON object per
// line with the fields the SPEC names (timestamp, level, message, service,
// function_name, cold_start, request_id, correlation_id).
//
// Attributes whose key (or enclosing group) could carry customer content or
// credentials are dropped by the handler itself, so a careless call site
// cannot leak them under those names. Only attribute keys are looked at: the
// fields of a map or struct logged with slog.Any are written as they are.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// redacted lists attribute keys that are never written, whatever their value.
var redacted = []string{"body", "email", "authorization", "token", "secret", "password", "cookie", "api_key"}

// Redacted reports whether an attribute key is withheld from every log line.
// It runs for every attribute of every line: a key is compared, ignoring
// case, with the redacted keys of its length only, unless it holds
// non-ASCII, whose case folding can change its length ("to\u212Aen",
// with a Kelvin sign, folds to "token").
func Redacted(key string) bool {
	if len(key) < len(redactedByLen) {
		for _, k := range redactedByLen[len(key)] {
			if key[0]|0x20 == k[0] && strings.EqualFold(key, k) { // most keys differ at once
				return true
			}
		}
	}
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return slices.ContainsFunc(redacted, func(k string) bool { return strings.EqualFold(key, k) })
		}
	}
	return false
}

// redactedByLen lists the redacted keys by their length.
var redactedByLen = func() (t [32][]string) {
	for _, k := range redacted {
		t[len(k)] = append(t[len(k)], k)
	}
	return t
}()

// New returns a JSON logger for service writing to w (os.Stdout when nil),
// at the minimum level Level(os.Getenv) gives.
func New(w io.Writer, service, functionName string) *slog.Logger {
	if w == nil {
		w = os.Stdout
	}
	return slog.New(newHandler(w, Level(os.Getenv))).With("service", service, "function_name", functionName)
}

// Level returns the minimum log level: LOG_LEVEL (debug, info, warn, error)
// when it names one, else AWS_LAMBDA_LOG_LEVEL, which Lambda sets from the
// function's ApplicationLogLevel (TRACE and DEBUG as debug, INFO, WARN,
// ERROR and FATAL as error), else info. Unknown values count as unset.
func Level(getenv func(string) string) slog.Level {
	var lvl slog.Level
	if lvl.UnmarshalText([]byte(getenv("LOG_LEVEL"))) == nil {
		return lvl
	}
	switch strings.ToUpper(getenv("AWS_LAMBDA_LOG_LEVEL")) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// started flips on the first call; its zero value needs no init function.
var started atomic.Bool

// ColdStart reports true exactly once per process: on the first invocation
// of the execution environment.
func ColdStart() bool { return !started.Swap(true) }

// Invocation returns a logger carrying one invocation's ids and whether it is
// the environment's cold start.
func Invocation(l *slog.Logger, requestID, correlationID string, coldStart bool) *slog.Logger {
	return l.With("request_id", requestID, "correlation_id", correlationID, "cold_start", coldStart)
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the logger carried by ctx, or slog.Default.
func From(ctx context.Context) *slog.Logger {
	if l, ok := Carried(ctx); ok {
		return l
	}
	return slog.Default()
}

// Carried returns the logger ctx carries, if it carries one.
func Carried(ctx context.Context) (*slog.Logger, bool) {
	l, ok := ctx.Value(ctxKey{}).(*slog.Logger)
	return l, ok
}
