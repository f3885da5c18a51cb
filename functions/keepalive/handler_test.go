package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/retry"
	"github.com/levqor/serverless/shared/status"
	"github.com/levqor/serverless/shared/uptime"
	"github.com/levqor/serverless/shared/warmup"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

type recorder struct {
	mu     sync.Mutex
	events []eventbus.Event
}

func (r *recorder) Publish(_ context.Context, evs ...eventbus.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, evs...)
	return nil
}

// healthServer is a real HTTP server standing in for the API's /health.
func healthServer(t *testing.T, version string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/dev/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","version":"` + version + `","build":"dev","timestamp":1,"uptime_seconds":2}`))
	}))
	t.Cleanup(s.Close)
	return s
}

type fixture struct {
	h    *Handler
	logs *bytes.Buffer
	bus  *recorder
	cold bool
}

func newFixture(t *testing.T, withStore bool) *fixture {
	f := &fixture{logs: &bytes.Buffer{}, bus: &recorder{}}
	var store uptime.Store
	if withStore {
		client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
		store = &dynamo.Uptime{Client: client, Table: dynamolocal.Table(t, client)}
	}
	emf := &metrics.Writer{W: f.logs}
	f.h = &Handler{
		Function: "levqor-dev-KeepaliveFunction", Service: "levqor", Version: "1.0.0",
		Logger:  logging.New(f.logs, "levqor", "keepalive"),
		Metrics: emf,
		Runner: &uptime.Runner{
			Checker:    &probe.Checker{Retry: retry.Policy{Base: time.Millisecond, Max: 2 * time.Millisecond}},
			Store:      store,
			Publisher:  f.bus,
			Metrics:    emf,
			Thresholds: uptime.Thresholds{DownAfter: 1, RecoverAfter: 1, DegradedAfter: 2},
			SLAPercent: 99.9,
		},
		ColdStart: func() bool { c := f.cold; f.cold = false; return c },
	}
	return f
}

func lambdaCtx(requestID string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
}

func TestWarmupTouchesNothing(t *testing.T) {
	f := newFixture(t, false) // no store: a warm-up that touched DynamoDB would panic
	f.cold = true
	out, err := f.h.Invoke(lambdaCtx("req-1"), eventfile.Read(t, "keepalive-warmup.json", nil))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := out.(warmup.Response)
	if !ok || !got.Warm || !got.Cold || got.Function != "levqor-dev-KeepaliveFunction" {
		t.Fatalf("answer %#v", out)
	}
	// The cold start was counted once as an EMF ColdStart metric.
	if n := strings.Count(f.logs.String(), `"ColdStart":1`); n != 1 {
		t.Fatalf("%d ColdStart records in %s", n, f.logs.String())
	}
	if _, err := f.h.Invoke(lambdaCtx("req-2"), eventfile.Read(t, "keepalive-warmup.json", nil)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(f.logs.String(), `"ColdStart":1`); n != 1 {
		t.Fatalf("ColdStart counted again on a warm invocation")
	}
}

func TestScheduledEvents(t *testing.T) {
	f := newFixture(t, true)
	api := healthServer(t, "1.0.0")
	withURL := func(m map[string]any) { m["api_url"] = api.URL + "/dev" }
	envelope := func(m map[string]any) { m["detail"] = map[string]any{"api_url": api.URL + "/dev"} }

	t.Run("template input", func(t *testing.T) {
		out, err := f.h.Invoke(lambdaCtx("req-a"), eventfile.Read(t, "keepalive.json", withURL))
		if err != nil {
			t.Fatal(err)
		}
		rep := out.(*uptime.Report)
		r := rep.Results[0]
		if rep.Status != "ok" || rep.RunID != "req-a" || r.Target != "api" || !r.OK || r.Status != probe.Up ||
			r.StatusCode != 200 || r.Attempts != 1 || r.Version != "1.0.0" {
			t.Fatalf("report %+v", rep)
		}
		if len(rep.Uptime) != 1 || rep.Uptime[0].SLAPercent != 99.9 || *rep.Uptime[0].Windows[0].UptimePercent != 100 {
			t.Fatalf("uptime %+v", rep.Uptime)
		}
		// The SPEC's result fields, by name.
		b, _ := json.Marshal(rep)
		for _, k := range []string{`"status":"ok"`, `"checked_at":`, `"results":[{"target":"api","ok":true,"status":"up","status_code":200,"latency_ms":`, `"attempts":1,"version":"1.0.0"`} {
			if !bytes.Contains(b, []byte(k)) {
				t.Fatalf("result document lacks %s: %s", k, b)
			}
		}
	})

	t.Run("eventbridge envelope delivered twice is one run", func(t *testing.T) {
		ev := eventfile.Read(t, "keepalive-eventbridge.json", envelope)
		f.logs.Reset()
		first, err := f.h.Invoke(lambdaCtx("req-b"), ev)
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.h.Invoke(lambdaCtx("req-c"), ev) // redelivery: new request id, same event id
		if err != nil {
			t.Fatal(err)
		}
		if first.(*uptime.Report).Duplicate || !second.(*uptime.Report).Duplicate {
			t.Fatalf("duplicate flags: %v %v", first.(*uptime.Report).Duplicate, second.(*uptime.Report).Duplicate)
		}
		if id := second.(*uptime.Report).RunID; id != "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" {
			t.Fatalf("run id %q", id)
		}
		// A schedule sends no correlation id: every log record of the run
		// carries the run id instead, so one search finds the whole run.
		logs := 0
		for _, rec := range logRecords(f.logs) {
			logs++
			if rec["correlation_id"] != "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" {
				t.Errorf("log record without the run's correlation id: %v", rec)
			}
		}
		if logs == 0 {
			t.Fatal("no log records captured")
		}
	})

	t.Run("wrong version goes down and alerts once", func(t *testing.T) {
		old := healthServer(t, "0.9.0")
		ev := eventfile.Read(t, "keepalive.json", func(m map[string]any) { m["api_url"] = old.URL + "/dev" })
		for i, req := range []string{"req-d", "req-e"} {
			f.logs.Reset()
			out, err := f.h.Invoke(lambdaCtx(req), ev)
			// Every record, the runner's "target changed" included, has the
			// invocation's ids.
			changed := 0
			for _, rec := range logRecords(f.logs) {
				if rec["message"] == "target changed" {
					changed++
				}
				if rec["correlation_id"] != req || rec["request_id"] != req {
					t.Errorf("run %d: log record without the run's ids: %v", i, rec)
				}
			}
			if changed != 1-i {
				t.Errorf("run %d: %d \"target changed\" records, want %d", i, changed, 1-i)
			}
			if err != nil {
				t.Fatal(err)
			}
			rep := out.(*uptime.Report)
			if rep.Status != "down" || rep.Results[0].FailedCondition != `version == "1.0.0"` || rep.Results[0].Version != "0.9.0" {
				t.Fatalf("run %d: %+v", i, rep.Results[0])
			}
			if want := 1 - i; len(rep.Alerts) != want {
				t.Fatalf("run %d: alerts %+v, want %d", i, rep.Alerts, want)
			}
		}
		if len(f.bus.events) != 1 || f.bus.events[0].DetailType != uptime.TargetDown || f.bus.events[0].Source != "levqor.monitor" {
			t.Fatalf("bus %+v", f.bus.events)
		}
	})

	t.Run("bad events are errors", func(t *testing.T) {
		for _, raw := range []string{`{"source":"aws.s3"}`, `{"source":"levqor.schedule","api_url":"ftp://x"}`, `[1]`, `nope`} {
			if _, err := f.h.Invoke(lambdaCtx("req-x"), json.RawMessage(raw)); err == nil {
				t.Errorf("%s accepted", raw)
			}
		}
		if _, err := f.h.Invoke(lambdaCtx("req-y"), json.RawMessage(`{"source":"levqor.schedule"}`)); err != ErrNoTargets {
			t.Errorf("no api_url and no targets: %v", err)
		}
	})
}

// invokeHTTP invokes h with an HTTP event and returns its HTTP answer,
// failing the test on a Go error (an HTTP invocation never gets one).
func invokeHTTP(t *testing.T, h *Handler, raw json.RawMessage) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("HTTP invocation returned a Go error: %v", err)
	}
	r, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		t.Fatalf("answer %T", out)
	}
	return r
}

// TestHTTPRunLogs: every log record of a run started over HTTP, the
// runner's "target changed" included, carries the request's correlation id.
func TestHTTPRunLogs(t *testing.T) {
	f := newFixture(t, true)
	old := healthServer(t, "0.9.0")
	f.logs.Reset()
	r := invokeHTTP(t, f.h, eventfile.Read(t, "keepalive-http.json", func(m map[string]any) {
		m["requestContext"].(map[string]any)["domainName"] = strings.TrimPrefix(old.URL, "http://")
		m["requestContext"].(map[string]any)["requestId"] = "req-http-down"
		m["headers"].(map[string]any)["x-forwarded-proto"] = "http"
	}))
	if r.StatusCode != 200 {
		t.Fatalf("response %+v", r)
	}
	changed := 0
	for _, rec := range logRecords(f.logs) {
		if rec["message"] == "target changed" {
			changed++
		}
		if rec["correlation_id"] != "keepalive-sample-0001" {
			t.Errorf("log record without the request's correlation id: %v", rec)
		}
	}
	if changed != 1 {
		t.Errorf("%d \"target changed\" records, want 1", changed)
	}
}

func TestHTTP(t *testing.T) {
	f := newFixture(t, true)
	api := healthServer(t, "1.0.0")
	host := strings.TrimPrefix(api.URL, "http://")
	local := func(m map[string]any) {
		m["requestContext"].(map[string]any)["domainName"] = host
		m["headers"].(map[string]any)["x-forwarded-proto"] = "http"
	}

	t.Run("POST runs a check against the API that was called", func(t *testing.T) {
		r := invokeHTTP(t, f.h, eventfile.Read(t, "keepalive-http.json", local))
		if r.StatusCode != 200 || r.Headers["Content-Type"] != "application/json" || r.Headers["X-Correlation-ID"] != "keepalive-sample-0001" {
			t.Fatalf("response %+v", r)
		}
		var rep uptime.Report
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Status != "ok" || rep.RunID != "Kx7abcDEFgHIJkl=" || rep.Results[0].Status != probe.Up {
			t.Fatalf("report %+v", rep)
		}
	})

	t.Run("GET uptime", func(t *testing.T) {
		r := invokeHTTP(t, f.h, eventfile.Read(t, "keepalive-uptime.json", nil))
		var doc UptimeDocument
		if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 200 || doc.SLAPercent != 99.9 || len(doc.Targets) != 1 || doc.Targets[0].Target != "api" ||
			doc.Targets[0].Windows[0].Runs != 1 || len(doc.Targets[0].Windows) != 3 {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})

	t.Run("GET uptime for an unknown target is 404", func(t *testing.T) {
		r := invokeHTTP(t, f.h, eventfile.Read(t, "keepalive-uptime.json", func(m map[string]any) {
			m["queryStringParameters"] = map[string]any{"target": "nope"}
		}))
		if r.StatusCode != 404 || r.Headers["Content-Type"] != "application/problem+json" {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})

	t.Run("GET status page and its JSON: public, cached, nothing internal", func(t *testing.T) {
		// A configured public target with the address the page must not show.
		tg, err := probe.DefaultTarget(api.URL, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		f.h.Targets = []probe.Target{tg}
		defer func() { f.h.Targets = nil }()
		for _, tc := range []struct{ file, ctype, want string }{
			{"keepalive-status.json", "text/html; charset=utf-8", "Levqor API"},
			{"keepalive-status-json.json", "application/json", `"name":"Levqor API"`},
		} {
			r := invokeHTTP(t, f.h, eventfile.Read(t, tc.file, nil))
			if r.StatusCode != 200 || r.Headers["Content-Type"] != tc.ctype || r.Headers["Cache-Control"] != statusCache {
				t.Fatalf("%s: %d %v", tc.file, r.StatusCode, r.Headers)
			}
			if !strings.Contains(r.Body, tc.want) || strings.Contains(r.Body, host) || r.Headers["X-Correlation-ID"] != "" {
				t.Errorf("%s: body lacks %q or reveals the target's address or a correlation id:\n%.400s", tc.file, tc.want, r.Body)
			}
		}
		var p status.Page
		r := invokeHTTP(t, f.h, eventfile.Read(t, "keepalive-status-json.json", nil))
		if err := json.Unmarshal([]byte(r.Body), &p); err != nil || p.Overall != status.Operational || len(p.Targets[0].Days) != status.DaysShown {
			t.Fatalf("status.json %v: %.300s", err, r.Body)
		}
	})

	t.Run("AWS sample on another route is 404, not an error", func(t *testing.T) {
		r := invokeHTTP(t, f.h, eventfile.Read(t, "aws/apigw-v2-request-iam.json", nil))
		if r.StatusCode != 404 || !strings.Contains(r.Body, "not-found") {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})

	t.Run("store down is 503 with Retry-After", func(t *testing.T) {
		broken := *f.h
		runner := *f.h.Runner
		// Nothing listens on port 1: every call is refused, as when
		// DynamoDB is unreachable.
		runner.Store = &dynamo.Uptime{Client: dynamolocal.Client(t, "http://127.0.0.1:1"), Table: "levqor-down"}
		broken.Runner = &runner
		r := invokeHTTP(t, &broken, eventfile.Read(t, "keepalive-http.json", local))
		if r.StatusCode != 503 || r.Headers["Retry-After"] == "" || strings.Contains(r.Body, "levqor-down") {
			t.Fatalf("%d %v %s", r.StatusCode, r.Headers, r.Body)
		}
	})
}

// logRecords returns the log records written to logs, each decoded; the
// EMF metric documents among them are left out.
func logRecords(logs *bytes.Buffer) []map[string]any {
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil && rec["level"] != nil {
			out = append(out, rec)
		}
	}
	return out
}

// TestReadRoutesStalled: when DynamoDB stalls, the read routes answer 503
// problems with Retry-After within their read budget, not after API
// Gateway's 30 s.
func TestReadRoutesStalled(t *testing.T) {
	f := newFixture(t, true)
	h := *f.h
	runner := *f.h.Runner
	runner.Store = &dynamo.Uptime{Client: dynamolocal.Client(t, testutil.StalledServer(t)), Table: "levqor-stalled"}
	h.Runner, h.ReadBudget = &runner, 300*time.Millisecond
	for _, event := range []string{"keepalive-uptime.json", "keepalive-status.json", "keepalive-status-json.json"} {
		t.Run(event, func(t *testing.T) {
			start := time.Now()
			r := invokeHTTP(t, &h, eventfile.Read(t, event, nil))
			if took := time.Since(start); r.StatusCode != 503 || r.Headers["Retry-After"] == "" ||
				r.Headers["Content-Type"] != problem.ContentType || took > httpapi.ReadBudget/2 {
				t.Fatalf("%d %v after %v: %s", r.StatusCode, r.Headers, took, r.Body)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		key, method, path, want string
	}{
		{"POST /api/ops/keepalive", "POST", "/dev/api/ops/keepalive", routeRun},
		{"GET /api/ops/uptime", "GET", "/dev/api/ops/uptime", routeUptime},
		{"$default", "POST", "/api/ops/keepalive", routeRun},
		{"", "GET", "/prod/api/ops/uptime", routeUptime},
		{"", "GET", "/api/ops/keepalive", ""},
		{"", "POST", "/x/y/api/ops/keepalive", ""},
		{"", "GET", "/evilapi/ops/uptime", ""},
		{"GET /status", "GET", "/dev/status", routeStatus},
		{"", "GET", "/dev/status.json", routeStatusJSON},
		{"", "POST", "/dev/status", ""},
	}
	for _, tt := range tests {
		req := events.APIGatewayV2HTTPRequest{RouteKey: tt.key, RawPath: tt.path}
		req.RequestContext.HTTP.Method = tt.method
		if got := route(req); got != tt.want {
			t.Errorf("route(%s %s %s) = %q, want %q", tt.key, tt.method, tt.path, got, tt.want)
		}
	}
}

func TestRunContextKeepsAMargin(t *testing.T) {
	tests := []struct {
		name         string
		left, budget time.Duration
		wantAtMost   time.Duration
		wantAtLeast  time.Duration
	}{
		{"60s function", 60 * time.Second, 0, 55 * time.Second, 54 * time.Second},
		{"10s function", 10 * time.Second, 0, 9 * time.Second, 8900 * time.Millisecond},
		{"HTTP budget", 60 * time.Second, httpBudget, httpBudget, httpBudget - time.Second},
		{"under a second left: half of it, not a deadline past", 800 * time.Millisecond, 0, 400 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, cancel := context.WithTimeout(context.Background(), tt.left)
			defer cancel()
			ctx, cancel2 := runContext(parent, tt.budget)
			defer cancel2()
			dl, _ := ctx.Deadline()
			left := time.Until(dl)
			if left > tt.wantAtMost || left < tt.wantAtLeast {
				t.Fatalf("run gets %s, want %s..%s", left, tt.wantAtLeast, tt.wantAtMost)
			}
		})
	}
}
