package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/retry"
)

// server starts a real HTTP server for one test.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func healthJSON(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","version":"` + version + `","build":"dev"}`))
	}
}

func fastChecker() *Checker {
	return &Checker{Retry: retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

func target(t *testing.T, url string, mod func(*Target)) Target {
	t.Helper()
	tg, err := DefaultTarget(url, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	tg.URL = url
	tg.Timeout = 2 * time.Second
	if mod != nil {
		mod(&tg)
	}
	return tg
}

func TestCheck(t *testing.T) {
	var flaps atomic.Int32
	tests := []struct {
		name    string
		handler http.HandlerFunc
		mod     func(*Target)
		want    Result // compared: OK, Status, StatusCode, Attempts, Version, FailedCondition
		errHas  string
	}{
		{name: "healthy", handler: healthJSON("1.0.0"),
			want: Result{OK: true, Status: Up, StatusCode: 200, Attempts: 1, Version: "1.0.0"}},
		{name: "slow is degraded", handler: func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(60 * time.Millisecond)
			healthJSON("1.0.0")(w, r)
		}, mod: func(tg *Target) { tg.DegradedAfter = 20 * time.Millisecond },
			want: Result{OK: true, Status: Degraded, StatusCode: 200, Attempts: 1, Version: "1.0.0"}},
		{name: "failing 503 retried three times", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
		}, want: Result{Status: Down, StatusCode: 503, Attempts: 3}, errHas: "unexpected status 503"},
		{name: "flapping recovers on retry", handler: func(w http.ResponseWriter, r *http.Request) {
			if flaps.Add(1) == 1 {
				w.WriteHeader(502)
				return
			}
			healthJSON("1.0.0")(w, r)
		}, want: Result{OK: true, Status: Up, StatusCode: 200, Attempts: 2, Version: "1.0.0"}},
		{name: "wrong version fails its condition without retry", handler: healthJSON("0.9.0"),
			want:   Result{Status: Down, StatusCode: 200, Attempts: 1, Version: "0.9.0", FailedCondition: `version == "1.0.0"`},
			errHas: "condition failed"},
		{name: "404 is not retried", handler: http.NotFound,
			want: Result{Status: Down, StatusCode: 404, Attempts: 1}, errHas: "unexpected status 404"},
		{name: "non-JSON body fails conditions", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) },
			want: Result{Status: Down, StatusCode: 200, Attempts: 1, FailedCondition: `status == "ok"`}, errHas: "condition failed"},
		{name: "expected redirect is up, not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
		}, mod: func(tg *Target) { tg.ExpectStatus = []int{301}; tg.Conditions = nil },
			want: Result{OK: true, Status: Up, StatusCode: 301, Attempts: 1}},
		{name: "HEAD without conditions", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodHead {
				w.WriteHeader(405)
			}
		}, mod: func(tg *Target) { tg.Method = "HEAD"; tg.Conditions = nil },
			want: Result{OK: true, Status: Up, StatusCode: 200, Attempts: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := server(t, tt.handler)
			got := fastChecker().Check(context.Background(), target(t, s.URL, tt.mod))
			if got.OK != tt.want.OK || got.Status != tt.want.Status || got.StatusCode != tt.want.StatusCode ||
				got.Attempts != tt.want.Attempts || got.Version != tt.want.Version || got.FailedCondition != tt.want.FailedCondition {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
			if !strings.Contains(got.Error, tt.errHas) || (tt.errHas == "" && got.Error != "") {
				t.Fatalf("error = %q, want containing %q", got.Error, tt.errHas)
			}
			if got.Target != "api" || got.CheckedAt.IsZero() {
				t.Fatalf("target/checked_at not set: %+v", got)
			}
		})
	}
}

func TestCheckConnectionRefused(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	got := fastChecker().Check(context.Background(), target(t, url, nil))
	if got.Status != Down || got.Attempts != 3 || got.StatusCode != 0 || got.Error == "" {
		t.Fatalf("got %+v", got)
	}
	if strings.Contains(got.Error, url) {
		t.Fatalf("error leaks the URL: %q", got.Error)
	}
}

// A hanging target must not hold the run past its deadline: the check
// returns down with a timeout reason once the per-attempt timeout and the
// overall deadline are spent.
func TestCheckHangingTargetRespectsDeadline(t *testing.T) {
	release := make(chan struct{})
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	tests := []struct {
		name     string
		timeout  time.Duration
		deadline time.Duration
	}{
		{name: "per-attempt timeout", timeout: 50 * time.Millisecond, deadline: 10 * time.Second},
		{name: "overall deadline shorter than the timeout", timeout: 10 * time.Second, deadline: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			start := time.Now()
			got := fastChecker().Check(ctx, target(t, s.URL, func(tg *Target) { tg.Timeout = tt.timeout }))
			if got.Status != Down || got.OK || !strings.Contains(got.Error, "timeout") {
				t.Fatalf("got %+v, want down with a timeout", got)
			}
			// Generous bound: far above the budget, far below a hang.
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("check took %s", el)
			}
		})
	}
}

// Checks of different targets run at once: each server waits until every
// request has arrived, which only concurrent checks can satisfy before the
// per-attempt timeout.
func TestCheckAllConcurrent(t *testing.T) {
	const n = 4
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	var targets []Target
	for i := range n {
		var once sync.Once
		s := server(t, func(w http.ResponseWriter, r *http.Request) {
			once.Do(arrived.Done)
			select {
			case <-all:
				healthJSON("1.0.0")(w, r)
			case <-r.Context().Done():
			}
		})
		targets = append(targets, target(t, s.URL, func(tg *Target) {
			tg.Name = string(rune('a' + i))
			tg.Timeout = 3 * time.Second
		}))
	}
	c := fastChecker()
	c.Retry.Attempts = 1
	results := c.CheckAll(context.Background(), targets)
	for i, r := range results {
		if r.Target != targets[i].Name || r.Status != Up {
			t.Fatalf("result %d = %+v, want %s up (checks not concurrent?)", i, r, targets[i].Name)
		}
	}
}

func TestOverall(t *testing.T) {
	tests := []struct {
		statuses []Status
		want     string
	}{
		{nil, "down"},
		{[]Status{Up}, "ok"},
		{[]Status{Up, Up}, "ok"},
		{[]Status{Up, Degraded}, "degraded"},
		{[]Status{Degraded, Down, Up}, "down"},
	}
	for _, tt := range tests {
		var rs []Result
		for _, s := range tt.statuses {
			rs = append(rs, Result{Status: s})
		}
		if got := Overall(rs); got != tt.want {
			t.Errorf("Overall(%v) = %q, want %q", tt.statuses, got, tt.want)
		}
	}
}
