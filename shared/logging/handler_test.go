package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/slogtest"
	"time"
)

// jsonHandler is what handler stands in for: slog's JSONHandler renaming
// and dropping keys as handler does.
func jsonHandler(w io.Writer) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 {
			switch a.Key {
			case slog.TimeKey:
				a.Key = "timestamp"
				return a
			case slog.MessageKey:
				a.Key = "message"
				return a
			case slog.LevelKey:
				a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
				return a
			}
		}
		if Redacted(a.Key) || slices.ContainsFunc(groups, Redacted) {
			return slog.Attr{}
		}
		return a
	}})
}

type marshals struct{ N int }

func (m marshals) MarshalJSON() ([]byte, error) { return []byte(`{"n":1}`), nil }

type failing struct{}

func (failing) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }

type nilErr struct{}

func (*nilErr) Error() string { panic("nil receiver") }

type valuer struct{}

func (valuer) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("a", 1), slog.String("token", "x"))
}

// TestHandlerMatchesJSONHandler: for every shape of line the project
// writes, and the odd ones slog allows, handler writes what JSONHandler
// writes, byte for byte.
func TestHandlerMatchesJSONHandler(t *testing.T) {
	at := time.Date(2026, 12, 1, 17, 4, 5, 123456789, time.FixedZone("x", 3600))
	var nilPtr *nilErr
	cases := []struct {
		name  string
		with  func(slog.Handler) slog.Handler
		level slog.Level
		time  time.Time
		msg   string
		attrs []slog.Attr
		// want is the line when JSONHandler's is wrong: invalid JSON or
		// attributes lost after a group its ReplaceAttr emptied (both
		// seen with Go 1.26), or a group for WithGroup(""), which
		// slog.Handler says returns the receiver.
		want string
	}{
		{name: "plain", msg: "hello", attrs: []slog.Attr{slog.String("k", "v"), slog.Int("n", -3), slog.Uint64("u", 7), slog.Bool("b", true)}},
		{name: "no attrs", msg: "x"},
		{name: "zero time", time: time.Time{}, msg: "x", attrs: []slog.Attr{slog.Int("n", 1)}},
		{name: "levels", level: slog.LevelWarn + 2, msg: "x"},
		{name: "debug", level: slog.LevelDebug, msg: "x"},
		{name: "escapes", msg: "a\"b\\c\n\r\t\x01\x7f<>&", attrs: []slog.Attr{slog.String("k\n\"", "é\u2028\u2029\xff\xfe end"), slog.String("", "no key")}},
		{name: "floats", msg: "x", attrs: []slog.Attr{slog.Float64("a", 1.5), slog.Float64("b", 1e21), slog.Float64("c", 1e-7), slog.Float64("d", 0),
			slog.Float64("e", 123456789), slog.Float64("f", math.NaN()), slog.Float64("g", math.Inf(-1)), slog.Float64("h", -2.5e-10)}},
		{name: "times and durations", msg: "x", attrs: []slog.Attr{slog.Time("t", at), slog.Time("z", time.Time{}), slog.Duration("d", 1500*time.Millisecond),
			slog.Time("far", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))},
			want: `{"timestamp":"2026-12-01T17:04:05.123456789+01:00","level":"info","message":"x","t":"2026-12-01T17:04:05.123456789+01:00","z":"0001-01-01T00:00:00Z","d":1500000000,"far":"!ERROR:time.Time year outside of range [0,9999]"}`},
		{name: "any", msg: "x", attrs: []slog.Attr{slog.Any("err", errors.New("boom")), slog.Any("m", map[string]int{"a": 1}), slog.Any("s", []string{"<a>"}),
			slog.Any("nil", nil), slog.Any("j", marshals{}), slog.Any("bytes", []byte("hi")), slog.Any("fail", failing{}), slog.Any("ch", make(chan int)),
			slog.Any("nilerr", nilPtr), slog.Any("lvl", slog.LevelWarn)}},
		{name: "groups", msg: "x", attrs: []slog.Attr{slog.Group("g", slog.Int("a", 1), slog.Group("h", slog.String("b", "c"))), slog.Group("", slog.Int("inline", 2)),
			slog.Group("allgone", slog.String("token", "t")), slog.Any("v", valuer{}), slog.Group("inner", slog.Group("", slog.Int("x", 1)))},
			want: `{"timestamp":"2026-12-01T17:04:05.123456789+01:00","level":"info","message":"x","g":{"a":1,"h":{"b":"c"}},"inline":2,"v":{"a":1},"inner":{"x":1}}`},
		{name: "redacted", msg: "x", attrs: []slog.Attr{slog.String("Email", "a@b.c"), slog.String("body", "b"), slog.Group("body", slog.String("text", "t")),
			slog.Group("req", slog.String("secret", "s"), slog.Int("n", 1)), slog.String("subject", "kept")},
			want: `{"timestamp":"2026-12-01T17:04:05.123456789+01:00","level":"info","message":"x","req":{"n":1},"subject":"kept"}`},
		{name: "with attrs", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("service", "levqor"), slog.String("token", "t")}).WithAttrs([]slog.Attr{slog.Bool("cold_start", true)})
		}, msg: "x", attrs: []slog.Attr{slog.Int("n", 1)}},
		{name: "with group", with: func(h slog.Handler) slog.Handler { return h.WithGroup("g") }, msg: "x", attrs: []slog.Attr{slog.Int("n", 1)}},
		{name: "with group, no attrs", with: func(h slog.Handler) slog.Handler { return h.WithGroup("g") }, msg: "x"},
		{name: "with group, all redacted", with: func(h slog.Handler) slog.Handler { return h.WithGroup("g") }, msg: "x", attrs: []slog.Attr{slog.String("token", "t")}},
		{name: "nested groups and attrs", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("top", 1)}).WithGroup("a").WithAttrs([]slog.Attr{slog.Int("x", 1)}).WithGroup("b").WithGroup("").WithAttrs([]slog.Attr{slog.Int("y", 2)}).WithGroup("c")
		}, msg: "x", attrs: []slog.Attr{slog.Int("z", 3)},
			want: `{"timestamp":"2026-12-01T17:04:05.123456789+01:00","level":"info","message":"x","top":1,"a":{"x":1,"b":{"y":2,"c":{"z":3}}}}`},
		{name: "nested groups, no record attrs", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("a").WithAttrs([]slog.Attr{slog.Int("x", 1)}).WithGroup("b")
		}, msg: "x"},
		{name: "with attrs all empty", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("a").WithAttrs([]slog.Attr{{}, slog.String("password", "p")})
		}, msg: "x", attrs: []slog.Attr{slog.Int("n", 1)}},
		{name: "redacted group", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("kept", 1)}).WithGroup("Cookie").WithAttrs([]slog.Attr{slog.Int("x", 1)})
		}, msg: "x", attrs: []slog.Attr{slog.Int("n", 1)}},
		{name: "empty attr", msg: "x", attrs: []slog.Attr{{}, slog.Int("n", 1), {}}},
		{name: "bad key", msg: "x", attrs: []slog.Attr{slog.Any("!BADKEY", "k")}},
		{name: "sources", msg: "x", attrs: []slog.Attr{slog.Any("a", &slog.Source{Function: "f"}), slog.Any("b", &slog.Source{}),
			slog.Any("c", (*slog.Source)(nil)), slog.Any("d", &slog.Source{Function: "f", File: "x.go", Line: 3})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			theirs, ours := jsonHandler(&want), slog.Handler(newHandler(&got, slog.LevelDebug))
			if tc.with != nil {
				theirs, ours = tc.with(theirs), tc.with(ours)
			}
			when := at
			if tc.name == "zero time" {
				when = tc.time
			}
			for _, h := range []slog.Handler{theirs, ours} {
				r := slog.NewRecord(when, tc.level, tc.msg, 0)
				r.AddAttrs(tc.attrs...)
				if err := h.Handle(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			}
			if tc.want != "" {
				want.Reset()
				want.WriteString(tc.want + "\n")
			}
			if got.String() != want.String() {
				t.Errorf("got  %s\nwant %s", got.String(), want.String())
			}
			if !json.Valid(got.Bytes()) {
				t.Errorf("not JSON: %s", got.String())
			}
		})
	}
}

// TestHandlerSlogtest is slog's own conformance test for handlers.
func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return newHandler(&buf, slog.LevelDebug)
	}, func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", buf.String(), err)
		}
		// slogtest looks for slog's own key names.
		for ours, theirs := range map[string]string{"timestamp": slog.TimeKey, "message": slog.MessageKey} {
			if v, ok := m[ours]; ok {
				m[theirs] = v
				delete(m, ours)
			}
		}
		return m
	})
}

// FuzzHandler: whatever the key and text, handler writes JSONHandler's line.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{"plain", "a\"b\\c\n", "\xff\u2028é", "email", "\x00\x1f\x7f"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		var want, got bytes.Buffer
		at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		for _, h := range []slog.Handler{jsonHandler(&want), newHandler(&got, slog.LevelDebug)} {
			if key != "" { // JSONHandler opens a group for WithGroup("")
				h = h.WithGroup(key)
			}
			r := slog.NewRecord(at, slog.LevelInfo, value, 0)
			r.AddAttrs(slog.String(key, value), slog.Group(value, slog.Float64(key, float64(len(value)))))
			h.Handle(context.Background(), r)
		}
		if got.String() != want.String() {
			t.Errorf("got  %s\nwant %s", got.String(), want.String())
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	stack := strings.Repeat("    at render (https://levqor.ai/assets/app-3f2a1.js:1:4242)\n", 6)
	for name, h := range map[string]slog.Handler{"jsonhandler": jsonHandler(io.Discard), "handler": newHandler(io.Discard, slog.LevelDebug)} {
		l := slog.New(h).With("service", "levqor", "function_name", "clientlogs", "request_id", "r-1", "correlation_id", "c-1", "cold_start", false)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Info("client error", "source", "client", "fingerprint", "8f3a2b1c0d9e8f7a", "client_message", "TypeError: x is undefined",
					"page_url", "https://levqor.ai/pricing?plan=growth", "stack", stack, slog.Group("context", "step", "payment", "attempt", 2.0))
			}
		})
	}
}
