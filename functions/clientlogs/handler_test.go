package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/shared/clientlogs"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

type incidents struct {
	mu  sync.Mutex
	got []monitor.Incident
}

func (n *incidents) Notify(_ context.Context, in monitor.Incident) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, in)
	return nil
}

// newHandler is the function as main builds it, its alert gate on a fresh
// DynamoDB Local table, its logs and metrics into logs.
func newHandler(t *testing.T, logs io.Writer) (*Handler, *incidents) {
	t.Helper()
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	n := &incidents{}
	return &Handler{
		Function: "clientlogs", ServiceName: "levqor",
		Logger:    logging.New(logs, "levqor", "clientlogs"),
		Metrics:   &metrics.Writer{W: logs},
		ColdStart: func() bool { return false },
		Alerter:   &clientlogs.Alerter{Gate: &dynamo.AlertGate{Client: client, Table: dynamolocal.Table(t, client)}, Notifier: n},
		Script:    newScript(loggerJS, "abc1234"),
	}, n
}

func invoke(t *testing.T, h *Handler, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := h.Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		t.Fatalf("answer %T, want an HTTP API response", out)
	}
	return resp
}

func TestEvents(t *testing.T) {
	sample := eventfile.Read(t, "aws/apigw-v2-request-no-authorizer.json", func(e map[string]any) {
		e["routeKey"] = routeIngest
		e["headers"] = map[string]any{"content-type": "application/json"}
		e["body"] = `{"records":[{"level":"warn","message":"slow","ts":1795602480000,"url":"https://levqor.ai/"}]}`
		e["isBase64Encoded"] = false
	})
	cases := []struct {
		file              string
		event             []byte
		status            int
		accepted, dropped int
	}{
		{file: "clientlogs.json", status: 202, accepted: 3},
		{file: "clientlogs-json.json", status: 202, accepted: 1, dropped: 2},
		{file: "clientlogs-script.json", status: 200},
		{file: "clientlogs-invalid-content-type.json", status: 415},
		{file: "clientlogs-invalid-not-object.json", status: 400},
		{file: "clientlogs-invalid-bad-json.json", status: 400},
		{file: "clientlogs-invalid-too-many.json", status: 413},
		{file: "AWS's sample, routed here", event: sample, status: 202, accepted: 1},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			h, _ := newHandler(t, io.Discard)
			ev := tc.event
			if ev == nil {
				ev = eventfile.Read(t, tc.file, nil)
			}
			resp := invoke(t, h, ev)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			if resp.Headers["X-Correlation-ID"] == "" {
				t.Errorf("no correlation id in %v", resp.Headers)
			}
			switch {
			case tc.status == 202:
				var a Answer
				if err := json.Unmarshal([]byte(resp.Body), &a); err != nil || a.Accepted != tc.accepted || a.Dropped != tc.dropped {
					t.Errorf("answer %s (%v), want %d accepted, %d dropped", resp.Body, err, tc.accepted, tc.dropped)
				}
			case tc.status >= 400:
				if resp.Headers["Content-Type"] != "application/problem+json" {
					t.Errorf("Content-Type %q, want a problem document", resp.Headers["Content-Type"])
				}
			}
		})
	}
}

// TestLogLinesAreScrubbed: each record is one line marked source client;
// nothing personal from the records or the request reaches the logs.
func TestLogLinesAreScrubbed(t *testing.T) {
	var logs bytes.Buffer
	h, _ := newHandler(t, &logs)
	invoke(t, h, eventfile.Read(t, "clientlogs.json", nil))
	out := logs.String()
	for _, leak := range []string{"jane@example.com", "jane%40example.com", "eyJhbGci", "c2lnbmF0dXJl", "Mozilla", "203.0.113.24"} {
		if strings.Contains(out, leak) {
			t.Errorf("logs hold %q:\n%s", leak, out)
		}
	}
	var client, emf int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %s", line)
		}
		if m["source"] == "client" {
			client++
			if fp, _ := m["fingerprint"].(string); len(fp) != 16 || m["correlation_id"] != "req-7f3c2a9e-clientlogs-01" {
				t.Errorf("line without fingerprint or correlation id: %s", line)
			}
		}
		if aws, ok := m["_aws"].(map[string]any); ok {
			emf++
			if err := metrics.Check([]byte(line)); err != nil {
				t.Error(err)
			}
			cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
			if cw["Namespace"] != "Levqor/Client" || m["Release"] != "web@2026.12.01" || m["ClientErrors"] != 1.0 || m["ClientWarnings"] != 1.0 {
				t.Errorf("metric line %s", line)
			}
		}
	}
	if client != 3 || emf != 1 {
		t.Errorf("%d client lines and %d metric lines, want 3 and 1:\n%s", client, emf, out)
	}
}

// TestAlertsOncePerFingerprint: the same broken page in many browsers is
// one alert.
func TestAlertsOncePerFingerprint(t *testing.T) {
	h, n := newHandler(t, io.Discard)
	ev := eventfile.Read(t, "clientlogs.json", nil)
	for range 3 {
		invoke(t, h, ev)
	}
	if len(n.got) != 1 || n.got[0].Category != monitor.Client || strings.Contains(n.got[0].Message, "@") {
		t.Errorf("incidents %+v, want one client incident", n.got)
	}
}

func TestScript(t *testing.T) {
	h, _ := newHandler(t, io.Discard)
	cases := []struct {
		name    string
		edit    func(map[string]any)
		status  int
		cache   string
		gzipped bool
	}{
		{"gzip, unversioned", nil, 200, cacheShort, true},
		{"this build: immutable", func(e map[string]any) { e["queryStringParameters"] = map[string]any{"v": "abc1234"} }, 200, cacheImmutable, true},
		{"another build", func(e map[string]any) { e["queryStringParameters"] = map[string]any{"v": "0000000"} }, 200, cacheShort, true},
		{"no gzip", func(e map[string]any) { delete(e["headers"].(map[string]any), "accept-encoding") }, 200, cacheShort, false},
		{"gzip refused", func(e map[string]any) { e["headers"].(map[string]any)["accept-encoding"] = "gzip;q=0, br" }, 200, cacheShort, false},
		{"gzip refused, Q in capitals", func(e map[string]any) { e["headers"].(map[string]any)["accept-encoding"] = "br, GZIP; Q=0.000" }, 200, cacheShort, false},
		{"gzip weighted", func(e map[string]any) { e["headers"].(map[string]any)["accept-encoding"] = "br;q=1, gzip;q=0.5" }, 200, cacheShort, true},
		{"current ETag", func(e map[string]any) { e["headers"].(map[string]any)["if-none-match"] = h.Script.ETag }, 304, cacheShort, false},
		{"current gzip ETag", func(e map[string]any) { e["headers"].(map[string]any)["if-none-match"] = `W/` + h.Script.GzipETag() }, 304, cacheShort, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := invoke(t, h, eventfile.Read(t, "clientlogs-script.json", tc.edit))
			etag := h.Script.ETag
			if tc.gzipped {
				etag = h.Script.GzipETag()
			}
			if resp.StatusCode != tc.status || resp.Headers["Cache-Control"] != tc.cache || resp.Headers["ETag"] != etag {
				t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Headers)
			}
			if tc.status == 304 {
				if resp.Body != "" {
					t.Errorf("304 with a body")
				}
				return
			}
			if resp.Headers["Content-Type"] != ScriptType || resp.IsBase64Encoded != tc.gzipped {
				t.Errorf("Content-Type %q, base64 %v", resp.Headers["Content-Type"], resp.IsBase64Encoded)
			}
			body := []byte(resp.Body)
			if tc.gzipped {
				z, _ := base64.StdEncoding.DecodeString(resp.Body)
				zr, err := gzip.NewReader(bytes.NewReader(z))
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(zr)
			}
			if !bytes.Equal(body, loggerJS) || !bytes.Contains(body, []byte("export{")) {
				t.Errorf("body is not the logger module (%d bytes)", len(body))
			}
		})
	}
}

func TestContentType(t *testing.T) {
	cases := []struct {
		v  string
		ok bool
	}{
		{"application/json", true},
		{"text/plain;charset=UTF-8", true},
		{"text/plain; charset=utf-8", true},
		{"text/plain", true},
		{"", false},
		{"text/plain;charset=latin1", false},
		{"text/html", false},
		{"multipart/form-data; boundary=x", false},
	}
	for _, tc := range cases {
		t.Run(tc.v, func(t *testing.T) {
			if err := httpapi.CheckContentType(tc.v, acceptedTypes...); (err == nil) != tc.ok {
				t.Errorf("CheckContentType(%q) = %v", tc.v, err)
			}
		})
	}
}

// TestLogsAtTheirLevel: an error record is an ERROR line, so Lambda's log
// level filters client noise the way it filters the function's own.
func TestLogsAtTheirLevel(t *testing.T) {
	var logs bytes.Buffer
	h, _ := newHandler(t, &logs)
	h.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	invoke(t, h, eventfile.Read(t, "clientlogs.json", nil))
	if n := strings.Count(logs.String(), `"source":"client"`); n != 2 {
		t.Errorf("%d client lines at WARN, want 2 (error and warn):\n%s", n, logs.String())
	}
}
