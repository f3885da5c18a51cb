package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// fakeFunction records the events it gets and answers with a fixed reply.
type fakeFunction struct {
	mu      sync.Mutex
	events  [][]byte
	reply   string
	errType string
	delay   time.Duration
}

func (f *fakeFunction) Invoke(_ context.Context, event []byte) ([]byte, string, error) {
	f.mu.Lock()
	f.events = append(f.events, event)
	f.mu.Unlock()
	time.Sleep(f.delay)
	return []byte(f.reply), f.errType, nil
}

func (f *fakeFunction) last(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("function was not invoked")
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(f.events[len(f.events)-1], &ev); err != nil {
		t.Fatalf("event does not decode as events.APIGatewayV2HTTPRequest: %v", err)
	}
	return ev
}

func newServer(t *testing.T, fn Invoker, routes ...string) *httptest.Server {
	t.Helper()
	var rs []Route
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		rs = append(rs, Route{Method: method, Path: path, Name: "Fn", Function: fn})
	}
	g, err := New(rs)
	if err != nil {
		t.Fatal(err)
	}
	g.Timeout = 500 * time.Millisecond
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

const okReply = `{"statusCode":201,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}`

func TestEventShape(t *testing.T) {
	fn := &fakeFunction{reply: okReply}
	srv := newServer(t, fn, "POST /api/support/tickets", "GET /health")

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/support/tickets?a=1&a=2&b=x%20y", strings.NewReader(`{"subject":"Test"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	req.Header.Set("User-Agent", "curl/8.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ev := fn.last(t)

	checks := []struct{ name, got, want string }{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "POST /api/support/tickets"},
		{"rawPath", ev.RawPath, "/api/support/tickets"},
		{"rawQueryString", ev.RawQueryString, "a=1&a=2&b=x%20y"},
		{"query a", ev.QueryStringParameters["a"], "1,2"},
		{"query b", ev.QueryStringParameters["b"], "x y"},
		{"content-type", ev.Headers["content-type"], "application/json"},
		{"repeated header", ev.Headers["x-multi"], "one,two"},
		{"cookie header removed", ev.Headers["cookie"], ""},
		{"cookies", strings.Join(ev.Cookies, "|"), "c1=v1|c2=v2"},
		{"content-length", ev.Headers["content-length"], "18"},
		{"x-forwarded-proto", ev.Headers["x-forwarded-proto"], "http"},
		{"body", ev.Body, `{"subject":"Test"}`},
		{"context routeKey", ev.RequestContext.RouteKey, "POST /api/support/tickets"},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"apiId", ev.RequestContext.APIID, "local"},
		{"domainName", ev.RequestContext.DomainName, strings.TrimPrefix(srv.URL, "http://")},
		{"domainPrefix", ev.RequestContext.DomainPrefix, "127"},
		{"method", ev.RequestContext.HTTP.Method, "POST"},
		{"path", ev.RequestContext.HTTP.Path, "/api/support/tickets"},
		{"protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"userAgent", ev.RequestContext.HTTP.UserAgent, "curl/8.0"},
		{"requestId", ev.RequestContext.RequestID, resp.Header.Get("Apigw-Requestid")},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	if ev.IsBase64Encoded {
		t.Error("JSON body must not be base64-encoded")
	}
	if _, err := time.Parse(requestTimeLayout, ev.RequestContext.Time); err != nil || ev.RequestContext.TimeEpoch == 0 {
		t.Errorf("time %q epoch %d: %v", ev.RequestContext.Time, ev.RequestContext.TimeEpoch, err)
	}
	if !strings.HasPrefix(ev.Headers["x-amzn-trace-id"], "Root=1-") {
		t.Errorf("x-amzn-trace-id %q", ev.Headers["x-amzn-trace-id"])
	}
}

func TestEventBodyEncoding(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantBase64              bool
	}{
		{"json", "application/json", `{"a":1}`, false},
		{"json with charset", "application/json; charset=utf-8", `{"a":1}`, false},
		{"problem json", "application/problem+json", `{}`, false},
		{"text", "text/plain", "hello", false},
		{"octet-stream", "application/octet-stream", "\x00\x01binary", true},
		{"form", "application/x-www-form-urlencoded", "a=b", true},
		{"no content type", "", `{"a":1}`, true},
		{"no body", "", "", false},
		{"json, not UTF-8", "application/json", "{\"a\":\"\xff\"}", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := &fakeFunction{reply: okReply}
			srv := newServer(t, fn, "POST /x")
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/x", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ev := fn.last(t)
			if ev.IsBase64Encoded != tc.wantBase64 {
				t.Fatalf("isBase64Encoded = %v, want %v", ev.IsBase64Encoded, tc.wantBase64)
			}
			got := ev.Body
			if ev.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(ev.Body)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if got != tc.body {
				t.Errorf("body %q, want %q", got, tc.body)
			}
		})
	}
}

func TestEventOmitsEmptyMembers(t *testing.T) {
	fn := &fakeFunction{reply: okReply}
	srv := newServer(t, fn, "GET /health")
	resp, err := http.Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var raw map[string]any
	_ = json.Unmarshal(fn.events[0], &raw)
	for _, absent := range []string{"body", "cookies", "queryStringParameters", "pathParameters"} {
		if _, ok := raw[absent]; ok {
			t.Errorf("%s present in a GET without it", absent)
		}
	}
	for _, present := range []string{"rawQueryString", "isBase64Encoded", "headers"} {
		if _, ok := raw[present]; !ok {
			t.Errorf("%s missing", present)
		}
	}
}

// TestPathParameters: ANY and path parameters, which the template does not
// use, are refused when the gateway is built, with a message saying so.
func TestPathParameters(t *testing.T) {
	fn := &fakeFunction{reply: okReply}
	for _, r := range []Route{
		{Method: "GET", Path: "/items/{id}", Function: fn},
		{Method: "ANY", Path: "/files", Function: fn},
		{Method: "GET", Path: "/files/{proxy+}", Function: fn},
	} {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			if _, err := New([]Route{r}); err == nil || !strings.Contains(err.Error(), "not emulated locally") {
				t.Errorf("New: %v, want a refusal saying it is not emulated", err)
			}
		})
	}
}

func TestGatewayResponses(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		fn          *fakeFunction
		wantStatus  int
		wantBody    string
		wantHeaders map[string]string
		wantCookies []string
	}{
		{name: "unknown route", method: "GET", path: "/nope", fn: &fakeFunction{reply: okReply},
			wantStatus: 404, wantBody: `{"message":"Not Found"}`, wantHeaders: map[string]string{"Content-Type": "application/json"}},
		{name: "known path, other method", method: "DELETE", path: "/r", fn: &fakeFunction{reply: okReply},
			wantStatus: 404, wantBody: `{"message":"Not Found"}`},
		{name: "structured response", method: "GET", path: "/r",
			fn: &fakeFunction{reply: `{"statusCode":201,"headers":{"X-Correlation-ID":"abc","Content-Type":"application/json"},` +
				`"multiValueHeaders":{"X-Many":["1","2"]},"cookies":["s=1; HttpOnly"],"body":"{\"ok\":true}"}`},
			wantStatus: 201, wantBody: `{"ok":true}`,
			wantHeaders: map[string]string{"X-Correlation-Id": "abc", "Content-Type": "application/json", "X-Many": "1"},
			wantCookies: []string{"s=1; HttpOnly"}},
		{name: "base64 body", method: "GET", path: "/r",
			fn:         &fakeFunction{reply: `{"statusCode":200,"body":"aGVsbG8=","isBase64Encoded":true}`},
			wantStatus: 200, wantBody: "hello"},
		{name: "inferred object", method: "GET", path: "/r", fn: &fakeFunction{reply: `{"hello":"world"}`},
			wantStatus: 200, wantBody: `{"hello":"world"}`, wantHeaders: map[string]string{"Content-Type": "application/json"}},
		{name: "inferred string", method: "GET", path: "/r", fn: &fakeFunction{reply: `"hi"`},
			wantStatus: 200, wantBody: `"hi"`},
		{name: "function error", method: "GET", path: "/r",
			fn:         &fakeFunction{reply: `{"errorMessage":"boom","errorType":"errorString"}`, errType: "errorString"},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "function timeout", method: "GET", path: "/r",
			fn:         &fakeFunction{reply: `{}`, errType: "Sandbox.Timedout"},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "bad statusCode", method: "GET", path: "/r", fn: &fakeFunction{reply: `{"statusCode":"200","body":"x"}`},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "statusCode out of range", method: "GET", path: "/r", fn: &fakeFunction{reply: `{"statusCode":1000}`},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "integration timeout", method: "GET", path: "/r", fn: &fakeFunction{reply: okReply, delay: time.Second},
			wantStatus: 503, wantBody: `{"message":"Service Unavailable"}`},
		{name: "payload too large", method: "POST", path: "/r", body: strings.Repeat("x", MaxBody+1), fn: &fakeFunction{reply: okReply},
			wantStatus: 413, wantBody: `{"message":"Request Entity Too Large"}`},
		{name: "event over Lambda's 6 MB", method: "POST", path: "/r", body: strings.Repeat("x", MaxEvent), fn: &fakeFunction{reply: okReply},
			wantStatus: 413, wantBody: `{"message":"Request Entity Too Large"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.fn, "GET /r", "POST /r")
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "text/plain")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || string(body) != tc.wantBody {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			for k, v := range tc.wantHeaders {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if got := resp.Header.Values("Set-Cookie"); strings.Join(got, "|") != strings.Join(tc.wantCookies, "|") {
				t.Errorf("Set-Cookie %q, want %q", got, tc.wantCookies)
			}
			if resp.Header.Get("Apigw-Requestid") == "" {
				t.Error("apigw-requestid header missing")
			}
		})
	}
}

func TestHeadHasNoBody(t *testing.T) {
	fn := &fakeFunction{reply: `{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"status\":\"ok\"}"}`}
	srv := newServer(t, fn, "HEAD /health")
	resp, err := http.Head(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(`{"status":"ok"}`)) {
		t.Errorf("HEAD: %d body %q length %d", resp.StatusCode, body, resp.ContentLength)
	}
	if ev := fn.last(t); ev.RequestContext.HTTP.Method != "HEAD" || ev.RouteKey != "HEAD /health" {
		t.Errorf("event method %q route %q", ev.RequestContext.HTTP.Method, ev.RouteKey)
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	fn := &fakeFunction{}
	tests := []struct {
		name   string
		routes []Route
	}{
		{"duplicate", []Route{{Method: "GET", Path: "/a", Function: fn}, {Method: "get", Path: "/a", Function: fn}}},
		{"relative path", []Route{{Method: "GET", Path: "a", Function: fn}}},
		{"no function", []Route{{Method: "GET", Path: "/a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.routes); err == nil {
				t.Error("New accepted bad routes")
			}
		})
	}
}

func TestUnauthenticated(t *testing.T) {
	fn := &fakeFunction{}
	g, err := New([]Route{{Method: "GET", Path: "/health", Function: fn}, {Method: "POST", Path: "/api/ops/keepalive", Auth: "AWS_IAM", Function: fn}})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Unauthenticated(); len(got) != 1 || got[0] != "POST /api/ops/keepalive (AWS_IAM)" {
		t.Errorf("Unauthenticated() = %q", got)
	}
}
