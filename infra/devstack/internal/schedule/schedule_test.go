package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		expr string
		want time.Duration
	}{
		{"rate(1 hour)", time.Hour},
		{"rate(1 day)", 24 * time.Hour},
		{"rate(5 minutes)", 5 * time.Minute},
		{" rate(2 days) ", 48 * time.Hour},
	}
	base := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Next(base).Sub(base); got != tc.want {
				t.Errorf("period %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, expr := range []string{
		"", "rate()", "rate(1 hours)", "rate(2 hour)", "rate(0 minutes)", "rate(-1 minute)", "rate(1 week)", "rate(x minutes)",
		"cron(0 * * * *)", "cron(0 12 * * ? * extra)", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)",
		"cron(60 * * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 L * ? *)", "cron(0 0 ? * 2#1 *)", "cron(0 0 5-1 * ? *)",
		"cron(*/0 * * * ? *)", "at(2026-01-01T00:00:00)", "cron(0 9 ? * MON-FRI *)",
	} {
		t.Run(expr, func(t *testing.T) {
			if _, err := Parse(expr); err == nil {
				t.Errorf("Parse(%q) accepted", expr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(1 hour)", "rate(5 minutes)", "rate(2 days)", "cron(0 9 ? * MON-FRI *)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if next := e.Next(base); !next.After(base) {
			t.Errorf("%q: Next(%s) = %s, not after", expr, base, next)
		}
	})
}

func TestPayload(t *testing.T) {
	s := &Scheduler{APIURL: "http://127.0.0.1:3000", APIID: "local"}
	tests := []struct {
		name  string
		input string
		want  map[string]any
	}{
		{"input with api_url", `{"source":"levqor.schedule","api_url":"https://abc.execute-api.eu-west-2.amazonaws.com/dev"}`,
			map[string]any{"source": "levqor.schedule", "api_url": "http://127.0.0.1:3000"}},
		{"input with api_id", `{"source":"levqor.schedule","api_url":"https://x","api_id":"abc"}`,
			map[string]any{"source": "levqor.schedule", "api_url": "http://127.0.0.1:3000", "api_id": "local"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := s.Payload(Rule{Name: "r", Input: tc.input})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if gb, wb := mustJSON(got[k]), mustJSON(v); gb != wb {
					t.Errorf("%s = %s, want %s", k, gb, wb)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("payload %s has members beyond the Input's", b)
			}
		})
	}
	// The template's schedules all have an Input: without one (EventBridge's
	// "Scheduled Event" envelope) the rule is refused, saying so.
	if _, err := s.Payload(Rule{Name: "r"}); err == nil || !strings.Contains(err.Error(), "not emulated locally") {
		t.Errorf("no Input: %v, want a refusal", err)
	}
	for _, input := range []string{`{bad`, `[1]`} {
		if _, err := s.Payload(Rule{Name: "r", Input: input}); err == nil {
			t.Errorf("Input %s accepted", input)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type countingTarget struct {
	mu    sync.Mutex
	calls []string
}

func (c *countingTarget) Invoke(_ context.Context, event []byte) ([]byte, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, string(event))
	return []byte(`{"status":"ok"}`), "", nil
}

func (c *countingTarget) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func TestRunFiresAtStartThenOnRate(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	s := &Scheduler{APIURL: "http://127.0.0.1:1", Log: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, f)
	}}
	// Rate schedules are whole minutes; the test records the waits and skips them.
	var waitMu sync.Mutex
	var waits []time.Duration
	s.After = func(d time.Duration) <-chan time.Time {
		waitMu.Lock()
		waits = append(waits, d)
		waitMu.Unlock()
		return time.After(10 * time.Millisecond)
	}
	expr, _ := Parse("rate(1 minute)")
	target := &countingTarget{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx, []Rule{{Name: "r", Expression: expr, Input: `{"api_url":"x"}`, FunctionName: "F", Target: target, FireAtStart: true}})
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for target.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if n := target.count(); n < 3 {
		t.Fatalf("%d firings, want the start one and at least two more", n)
	}
	if first := target.calls[0]; first != `{"api_url":"http://127.0.0.1:1"}` {
		t.Errorf("first payload %s", first)
	}
	waitMu.Lock()
	if waits[0] != time.Minute {
		t.Errorf("waited %s between firings, want 1m", waits[0])
	}
	waitMu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(logs, "\n"), "result") {
		t.Errorf("results not logged: %q", logs)
	}
}

// flakyTarget fails its first failures invocations.
type flakyTarget struct {
	mu       sync.Mutex
	calls    int
	failures int
}

func (f *flakyTarget) Invoke(context.Context, []byte) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return []byte(`{"errorMessage":"boom"}`), "errorString", nil
	}
	return []byte(`{}`), "", nil
}

func TestAsynchronousRetries(t *testing.T) {
	tests := []struct {
		name      string
		failures  int
		retries   int
		wantCalls int
		wantLog   string
	}{
		{"succeeds first time", 0, 2, 1, ""},
		{"succeeds on the second retry", 2, 2, 3, "asynchronous retry 2 of 2"},
		{"retries exhausted", 5, 2, 3, "retries exhausted"},
		{"no retries configured", 1, 0, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var logs []string
			s := &Scheduler{
				RetryDelays: []time.Duration{time.Millisecond},
				Log: func(f string, a ...any) {
					mu.Lock()
					defer mu.Unlock()
					logs = append(logs, fmt.Sprintf(f, a...))
				},
			}
			expr, _ := Parse("rate(1 day)")
			target := &flakyTarget{failures: tc.failures}
			ctx, cancel := context.WithCancel(context.Background())
			s.fire(ctx, Rule{Name: "r", Expression: expr, Input: `{}`, FunctionName: "F", Target: target, Retries: tc.retries})
			s.retries.Wait()
			cancel()
			if target.calls != tc.wantCalls {
				t.Errorf("%d invocations, want %d", target.calls, tc.wantCalls)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.wantLog != "" && !strings.Contains(strings.Join(logs, "\n"), tc.wantLog) {
				t.Errorf("logs lack %q: %q", tc.wantLog, logs)
			}
		})
	}
}
