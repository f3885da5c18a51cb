package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/heap"
)

func TestSummarize(t *testing.T) {
	cases := []struct {
		in            []float64
		min, med, max float64
		p10, p90      float64
	}{
		{[]float64{5}, 5, 5, 5, 5, 5},
		{[]float64{3, 1, 2}, 1, 2, 3, 1.2, 2.8},
		{[]float64{10, 0, 5, 5}, 0, 5, 10, 1.5, 8.5},
	}
	for _, tc := range cases {
		s := summarize(tc.in)
		if s.min != tc.min || s.med != tc.med || s.max != tc.max || !near(s.p10, tc.p10) || !near(s.p90, tc.p90) || s.n != len(tc.in) {
			t.Errorf("summarize(%v) = %+v", tc.in, s)
		}
	}
	if s := summarize(nil); s.n != 0 {
		t.Errorf("empty: %+v", s)
	}
	in := []float64{3, 1, 2}
	summarize(in)
	if in[0] != 3 {
		t.Error("summarize sorted its input")
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestLoopbackURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:3000/health": true,
		"http://localhost:3000/":       true,
		"http://[::1]:3000/":           true,
		"http://10.0.0.1/health":       false,
		"http://8.8.8.8/":              false,
		"not a url":                    false,
		"":                             false,
	} {
		if _, err := loopbackURL(raw); (err == nil) != ok {
			t.Errorf("loopbackURL(%q) error %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestReadBench(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.txt")
	os.WriteFile(p, []byte("goos: linux\nBenchmarkX/fn=a 1 100 ns/op 3 aws-calls/op\nBenchmarkX/fn=a 1 300 ns/op 3 aws-calls/op\nPASS\nBenchmarkBad\n"), 0o644)
	got, err := readBench(p)
	if err != nil {
		t.Fatal(err)
	}
	if xs := got["X/fn=a ns/op"]; len(xs) != 2 || xs[0] != 100 || xs[1] != 300 {
		t.Errorf("ns/op %v", xs)
	}
	if xs := got["X/fn=a aws-calls/op"]; len(xs) != 2 || xs[0] != 3 {
		t.Errorf("aws-calls/op %v", xs)
	}
	if len(got) != 2 {
		t.Errorf("%v", got)
	}
}

func TestPairs(t *testing.T) {
	if _, err := pairs(nil); err == nil {
		t.Error("no arguments accepted")
	}
	if _, err := pairs([]string{"a"}); err == nil {
		t.Error("a without = accepted")
	}
	p, err := pairs([]string{"a=x", "b=y=z"})
	if err != nil || p[0] != [2]string{"a", "x"} || p[1] != [2]string{"b", "y=z"} {
		t.Errorf("%v %v", p, err)
	}
}

// TestFunctionEnv: the bench gives a function Lambda's variables, pointed at
// the local Runtime API and canary, its template MemorySize (a reference
// binary the Globals', Lambda's default without one), then its own template variables (sorted, each once)
// and no other function's.
func TestFunctionEnv(t *testing.T) {
	tpl := &samtemplate.Template{
		Globals: map[string]map[string]any{"Function": {"MemorySize": float64(256)}},
		Functions: []samtemplate.Function{
			{Dir: "other", Env: map[string]string{"OTHER": "x"}},
			{Dir: "tickets", MemorySize: 512, Env: map[string]string{"TABLE_NAME": "t", "A_B": "2", "STAGE": "dev=local"}},
			{Dir: "unsized"},
		},
	}
	for _, tc := range []struct {
		dir    string
		memory string
		tail   []string
	}{
		{"tickets", "512", []string{"A_B=2", "STAGE=dev=local", "TABLE_NAME=t"}},
		{"missing", "256", nil},
		{"unsized", "128", nil},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			env := functionEnv(tpl, tc.dir, "127.0.0.1:1", "127.0.0.1:2")
			if !slices.Contains(env, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1") || !slices.Contains(env, "AWS_ENDPOINT_URL=http://127.0.0.1:2") {
				t.Errorf("env %q lacks the Runtime API or the canary", env)
			}
			if want := heap.MemoryEnv + "=" + tc.memory; !slices.Contains(env, want) {
				t.Errorf("env %q lacks %s", env, want)
			}
			if len(env) < len(tc.tail) || !slices.Equal(env[len(env)-len(tc.tail):], tc.tail) {
				t.Errorf("env %q does not end with the template's variables %q", env, tc.tail)
			}
			if slices.Contains(env, "OTHER=x") {
				t.Errorf("env %q has another function's variable", env)
			}
		})
	}
}

// TestInitAPI: the first /next after Expect is signalled and held until the
// caller goes away; an init error is taken.
func TestInitAPI(t *testing.T) {
	a, err := newInitAPI()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	base := "http://" + a.Addr() + "/2018-06-01/runtime/"
	arrived := a.Expect()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"invocation/next", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("first /next not signalled")
	}
	select {
	case err := <-done:
		t.Fatalf("/next answered (%v); it must be held", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("/next answered after the caller went away")
	}
	resp, err := http.Post(base+"init/error", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("init/error: status %d", resp.StatusCode)
	}
}

// TestHTTPEvent: the direct invocations' event is API Gateway's payload
// 2.0 for the method and path, its query split off.
func TestHTTPEvent(t *testing.T) {
	for _, tc := range []struct {
		method, path, raw, query string
	}{
		{"GET", "/health?deep=1", "/health", "deep=1"},
		{"POST", "/api/support/tickets", "/api/support/tickets", ""},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(httpEvent(tc.method, tc.path, map[string]string{"a": "b"}, "x"), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Version != "2.0" || ev.RouteKey != tc.method+" "+tc.raw || ev.RawPath != tc.raw || ev.RawQueryString != tc.query ||
				ev.RequestContext.HTTP.Method != tc.method || ev.RequestContext.HTTP.Path != tc.raw || ev.Headers["a"] != "b" || ev.Body != "x" {
				t.Errorf("%+v", ev)
			}
		})
	}
}
