package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const marker = "MARKER-7f3a"

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ln := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if ln == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ln), &m); err != nil {
			t.Fatalf("line is not one JSON object: %q: %v", ln, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRedactedKeysNeverAppear(t *testing.T) {
	cases := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"body", func(l *slog.Logger) { l.Info("x", "body", marker) }},
		{"email upper", func(l *slog.Logger) { l.Info("x", "Email", marker) }},
		{"authorization", func(l *slog.Logger) { l.Warn("x", slog.String("AUTHORIZATION", "Bearer "+marker)) }},
		{"token via With", func(l *slog.Logger) { l.With("token", marker).Info("x") }},
		{"secret in group", func(l *slog.Logger) { l.Info("x", slog.Group("req", slog.String("secret", marker))) }},
		{"password", func(l *slog.Logger) { l.Error("x", "password", marker) }},
		{"cookie", func(l *slog.Logger) { l.Info("x", "cookie", marker) }},
		{"api_key", func(l *slog.Logger) { l.Info("x", "api_key", marker) }},
		{"group named body", func(l *slog.Logger) { l.Info("x", slog.Group("body", slog.String("text", marker))) }},
		{"WithGroup email", func(l *slog.Logger) { l.WithGroup("email").Info("x", "address", marker) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(New(&buf, "levqor", "fn"))
			if buf.Len() == 0 {
				t.Fatal("nothing logged")
			}
			if strings.Contains(buf.String(), marker) {
				t.Errorf("redacted value logged: %s", buf.String())
			}
		})
	}
}

func TestOneLinePerRecord(t *testing.T) {
	var buf bytes.Buffer
	l := Invocation(New(&buf, "levqor", "levqor-tickets"), "req-1", "cid-12345678", true)
	l.Info("subject\r\nfake: record", "subject", "a\r\nb\nc\rd", "path", "/x\u2028y")
	l.Info("second")
	recs := lines(t, &buf)
	if len(recs) != 2 {
		t.Fatalf("%d records for 2 calls: %q", len(recs), buf.String())
	}
	r := recs[0]
	want := map[string]any{
		"level": "info", "message": "subject\r\nfake: record", "service": "levqor",
		"function_name": "levqor-tickets", "request_id": "req-1", "correlation_id": "cid-12345678",
		"cold_start": true, "subject": "a\r\nb\nc\rd",
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %#v, want %#v", k, r[k], v)
		}
	}
	if _, ok := r["timestamp"]; !ok {
		t.Error("no timestamp")
	}
	for _, k := range []string{"time", "msg"} {
		if _, ok := r[k]; ok {
			t.Errorf("slog's own key %q still present", k)
		}
	}
}

func TestLevel(t *testing.T) {
	cases := []struct {
		env    string
		debug  bool
		info   bool
		warned bool
	}{
		{"", false, true, true},
		{"debug", true, true, true},
		{"warn", false, false, true},
		{"nonsense", false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("LOG_LEVEL", tc.env)
			t.Setenv("AWS_LAMBDA_LOG_LEVEL", "")
			var buf bytes.Buffer
			l := New(&buf, "s", "f")
			l.Debug("d")
			l.Info("i")
			l.Warn("w")
			got := buf.String()
			for msg, want := range map[string]bool{`"message":"d"`: tc.debug, `"message":"i"`: tc.info, `"message":"w"`: tc.warned} {
				if strings.Contains(got, msg) != want {
					t.Errorf("%s logged = %v, want %v", msg, !want, want)
				}
			}
		})
	}
}

// TestLevel: Lambda's AWS_LAMBDA_LOG_LEVEL (from the template's
// ApplicationLogLevel) is honoured, and LOG_LEVEL overrides it.
func TestLevelFromLambda(t *testing.T) {
	cases := []struct {
		logLevel, lambda string
		want             slog.Level
	}{
		{"", "", slog.LevelInfo},
		{"", "DEBUG", slog.LevelDebug},
		{"", "TRACE", slog.LevelDebug},
		{"", "INFO", slog.LevelInfo},
		{"", "WARN", slog.LevelWarn},
		{"", "ERROR", slog.LevelError},
		{"", "FATAL", slog.LevelError},
		{"", "warn", slog.LevelWarn},
		{"", "LOUD", slog.LevelInfo},
		{"debug", "ERROR", slog.LevelDebug},
		{"error", "DEBUG", slog.LevelError},
		{"nonsense", "WARN", slog.LevelWarn},
	}
	for _, tc := range cases {
		t.Run(tc.logLevel+"/"+tc.lambda, func(t *testing.T) {
			env := map[string]string{"LOG_LEVEL": tc.logLevel, "AWS_LAMBDA_LOG_LEVEL": tc.lambda}
			if got := Level(func(k string) string { return env[k] }); got != tc.want {
				t.Errorf("Level = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	for k, want := range map[string]bool{"body": true, "BODY": true, "email": true, "subject": false, "": false, "correlation_id": false,
		"to\u212Aen": true, "pa\u017F\u017Fword": true, "\u212Aey": false} {
		if Redacted(k) != want {
			t.Errorf("Redacted(%q) = %v", k, !want)
		}
	}
}

func TestContext(t *testing.T) {
	if From(context.Background()) != slog.Default() {
		t.Error("empty context should give slog.Default")
	}
	l := New(&bytes.Buffer{}, "s", "f")
	if From(With(context.Background(), l)) != l {
		t.Error("logger not carried")
	}
}

// TestColdStart runs in a fresh process so that the once-per-process state is
// its own, whatever ran before in this binary.
func TestColdStart(t *testing.T) {
	if os.Getenv("LOGGING_COLDSTART_CHILD") == "1" {
		got := []bool{ColdStart(), ColdStart(), ColdStart()}
		if !got[0] || got[1] || got[2] {
			os.Stdout.WriteString("BAD\n")
			os.Exit(3)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestColdStart$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOGGING_COLDSTART_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ColdStart is not true exactly once: %v\n%s", err, out)
	}
}
