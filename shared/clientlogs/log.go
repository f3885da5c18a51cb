package clientlogs

import (
	"context"
	"log/slog"
	"time"
)

// Log writes r as one JSON log line at the record's own level, marked
// source "client" with its fingerprint. Only r's scrubbed fields go in:
// nothing of the request (headers, cookies, address) does.
//
// A batch is up to MaxRecords lines on the request path, so the record goes
// to l's handler directly, without the caller's program counter: the
// project's logs print no source location, and finding it walks the stack
// once per line.
func Log(ctx context.Context, l *slog.Logger, r Record) {
	lvl := slog.LevelInfo
	msg := "client info"
	switch r.Level {
	case Error:
		lvl, msg = slog.LevelError, "client error"
	case Warn:
		lvl, msg = slog.LevelWarn, "client warn"
	}
	h := l.Handler()
	if !h.Enabled(ctx, lvl) {
		return
	}
	// The attributes go in with one AddAttrs: the Record keeps five
	// itself and allocates once for the rest.
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("source", "client"),
		slog.String("fingerprint", r.Fingerprint),
		slog.String("client_message", r.Message),
		slog.Time("client_time", r.Time),
		slog.String("page_url", r.URL))
	for _, kv := range [...]struct{ k, v string }{{"stack", r.Stack}, {"release", r.Release}, {"session", r.Session}} {
		if kv.v != "" {
			attrs = append(attrs, slog.String(kv.k, kv.v))
		}
	}
	if len(r.Context) > 0 {
		ctxAttrs := make([]slog.Attr, len(r.Context))
		for i, f := range r.Context {
			ctxAttrs[i] = slog.Attr{Key: f.Key, Value: f.Value}
		}
		attrs = append(attrs, slog.Attr{Key: "context", Value: slog.GroupValue(ctxAttrs...)})
	}
	if len(r.Truncated) > 0 {
		attrs = append(attrs, slog.Any("truncated", r.Truncated))
	}
	rec := slog.NewRecord(time.Now(), lvl, msg, 0)
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec) // a log line that cannot be written has nowhere to be reported
}

// OtherRelease is the metric dimension of a release that is not taken as
// its own (see MetricRelease); NoRelease that of a record without one.
const (
	OtherRelease = "other"
	NoRelease    = "none"
)

// MetricRelease is the Release dimension for a record's release. Anyone
// may send any release, and each dimension value is a metric CloudWatch
// bills for: with allowed set only those releases are their own value,
// and without it only short, plain names (letters, digits, ".-_+@").
func MetricRelease(release string, allowed map[string]bool) string {
	switch {
	case release == "":
		return NoRelease
	case len(allowed) > 0:
		if allowed[release] {
			return release
		}
		return OtherRelease
	case len(release) > 40:
		return OtherRelease
	}
	for i := 0; i < len(release); i++ {
		if c := release[i]; !isAlnum(c) && c != '.' && c != '-' && c != '_' && c != '+' && c != '@' {
			return OtherRelease
		}
	}
	return release
}

// Counts are a release's error and warning records in a batch.
type Counts struct{ Errors, Warnings int }

// CountByRelease tallies recs by MetricRelease.
func CountByRelease(recs []Record, allowed map[string]bool) map[string]Counts {
	out := map[string]Counts{}
	for _, r := range recs {
		rel := MetricRelease(r.Release, allowed)
		c := out[rel]
		switch r.Level {
		case Error:
			c.Errors++
		case Warn:
			c.Warnings++
		}
		out[rel] = c
	}
	return out
}
