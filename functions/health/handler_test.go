package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/warmup"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

// stubDB answers DescribeTable with a fixed outcome, optionally after a
// delay that honours the context (as the SDK does).
type stubDB struct {
	status types.TableStatus
	err    error
	delay  time.Duration
	calls  int
}

func (s *stubDB) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	s.calls++
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return &dynamodb.DescribeTableOutput{Table: &types.TableDescription{TableName: in.TableName, TableStatus: s.status}}, nil
}

var (
	fixedNow = time.Unix(1700000000, 0)
	// shallowBody is the SPEC's example, word for word.
	shallowBody = `{"status":"ok","version":"1.0.0","build":"dev","timestamp":1700000000,"uptime_seconds":12345}`
)

func newHandler(db TableDescriber, logs *bytes.Buffer) *Handler {
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	return &Handler{
		Function:  "health",
		Logger:    logging.New(logs, "levqor", "health"),
		Prober:    &Prober{Table: "tickets", DB: db, Timeout: 50 * time.Millisecond, CacheFor: -1, Now: func() time.Time { return fixedNow }, Started: fixedNow.Add(-12345 * time.Second)},
		ColdStart: func() bool { return false },
	}
}

func setHeader(name, v string) func(map[string]any) {
	return func(m map[string]any) { m["headers"].(map[string]any)[name] = v }
}

func setQuery(q string) func(map[string]any) {
	return func(m map[string]any) { m["rawQueryString"] = q; delete(m, "queryStringParameters") }
}

func setMethod(method string) func(map[string]any) {
	return func(m map[string]any) {
		m["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = method
	}
}

func invokeHTTP(t *testing.T, h *Handler, ev []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := h.Invoke(context.Background(), ev)
	if err != nil {
		t.Fatalf("Invoke returned a Go error for an HTTP request: %v", err)
	}
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		t.Fatalf("Invoke returned %T, want events.APIGatewayV2HTTPResponse", out)
	}
	return resp
}

func TestHTTP(t *testing.T) {
	tests := []struct {
		name      string
		event     string
		edit      func(map[string]any)
		db        *stubDB
		status    int
		body      string // exact, when the answer has no latency in it
		checkErr  string // deep: the dynamodb check's error, "" when ok
		cid       string // "" means a freshly generated one
		problem   bool
		dbCalls   int
		emptyBody bool
	}{
		{name: "shallow GET", event: "health.json", db: &stubDB{}, status: 200, body: shallowBody, cid: "req-7f3c2a9e-health-01"},
		{name: "AWS sample payload", event: "aws/apigw-v2-request-no-authorizer.json", db: &stubDB{}, status: 200, body: shallowBody},
		{name: "deep, table active", event: "health-deep.json", db: &stubDB{status: types.TableStatusActive}, status: 200, cid: "req-7f3c2a9e-health-02", dbCalls: 1},
		{name: "deep, table updating still serves", event: "health-deep.json", db: &stubDB{status: types.TableStatusUpdating}, status: 200, cid: "req-7f3c2a9e-health-02", dbCalls: 1},
		{name: "deep=true", event: "health.json", edit: setQuery("deep=true"), db: &stubDB{status: types.TableStatusActive}, status: 200, cid: "req-7f3c2a9e-health-01", dbCalls: 1},
		{name: "deep only in parsed map", event: "health.json", edit: func(m map[string]any) { m["queryStringParameters"] = map[string]any{"deep": "1"} }, db: &stubDB{status: types.TableStatusActive}, status: 200, cid: "req-7f3c2a9e-health-01", dbCalls: 1},
		{name: "deep, dynamodb down", event: "health-deep.json", db: &stubDB{err: errors.New("dial tcp: connection refused")}, status: 503, checkErr: "unreachable", cid: "req-7f3c2a9e-health-02", dbCalls: 1},
		{name: "deep, table missing", event: "health-deep.json", db: &stubDB{err: &types.ResourceNotFoundException{Message: new(string)}}, status: 503, checkErr: "table not found", cid: "req-7f3c2a9e-health-02", dbCalls: 1},
		{name: "deep, table being created", event: "health-deep.json", db: &stubDB{status: types.TableStatusCreating}, status: 503, checkErr: "table CREATING", cid: "req-7f3c2a9e-health-02", dbCalls: 1},
		{name: "deep, dynamodb hangs past the timeout", event: "health-deep.json", db: &stubDB{status: types.TableStatusActive, delay: time.Minute}, status: 503, checkErr: "timeout", cid: "req-7f3c2a9e-health-02", dbCalls: 1},
		{name: "deep=0 is shallow", event: "health.json", edit: setQuery("deep=0&t=1700000000"), db: &stubDB{}, status: 200, body: shallowBody, cid: "req-7f3c2a9e-health-01"},
		{name: "deep=yes refused", event: "health.json", edit: setQuery("deep=yes"), db: &stubDB{}, status: 400, problem: true, cid: "req-7f3c2a9e-health-01"},
		{name: "HEAD", event: "health-head.json", db: &stubDB{}, status: 200, emptyBody: true},
		{name: "HEAD deep degraded", event: "health-head.json", edit: setQuery("deep=1"), db: &stubDB{err: errors.New("throttled")}, status: 503, emptyBody: true, dbCalls: 1},
		{name: "malformed correlation id replaced", event: "health.json", edit: setHeader("x-correlation-id", "bad id\r\nx"), db: &stubDB{}, status: 200, body: shallowBody},
		{name: "correlation header in any case", event: "health-head.json", edit: setHeader("X-CORRELATION-ID", "abcdef12-upper"), db: &stubDB{}, status: 200, emptyBody: true, cid: "abcdef12-upper"},
		{name: "method not routed here", event: "health.json", edit: setMethod("POST"), db: &stubDB{}, status: 404, problem: true, cid: "req-7f3c2a9e-health-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(tc.db, nil)
			resp := invokeHTTP(t, h, eventfile.Read(t, tc.event, tc.edit))
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tc.status, resp.Body)
			}
			if tc.db.calls != tc.dbCalls {
				t.Errorf("DescribeTable calls = %d, want %d", tc.db.calls, tc.dbCalls)
			}
			cid := resp.Headers[correlation.Header]
			if tc.cid != "" && cid != tc.cid {
				t.Errorf("%s = %q, want %q", correlation.Header, cid, tc.cid)
			}
			if !correlation.Valid(cid) {
				t.Errorf("%s = %q is not a valid id", correlation.Header, cid)
			}
			if cc := resp.Headers["Cache-Control"]; cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			wantCT := "application/json"
			if tc.problem {
				wantCT = problem.ContentType
			}
			if ct := resp.Headers["Content-Type"]; ct != wantCT {
				t.Errorf("Content-Type = %q, want %q", ct, wantCT)
			}
			if ra, want := resp.Headers["Retry-After"], tc.status == 503; (ra != "") != want || (want && ra != "10") {
				t.Errorf("Retry-After = %q with status %d", ra, resp.StatusCode)
			}
			switch {
			case tc.emptyBody:
				if resp.Body != "" {
					t.Errorf("HEAD body = %q, want empty", resp.Body)
				}
			case tc.problem:
				var doc problem.Document
				if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil || doc.Status != tc.status || doc.CorrelationID != cid {
					t.Errorf("problem body %s (%v)", resp.Body, err)
				}
			case tc.body != "":
				if resp.Body != tc.body {
					t.Errorf("body =\n %s\nwant\n %s", resp.Body, tc.body)
				}
			default:
				checkDeepBody(t, resp.Body, tc.status, tc.checkErr)
			}
		})
	}
}

// checkDeepBody checks a deep report: the shallow fields in order, then one
// dynamodb check whose latency is real time and so only checked for range.
func checkDeepBody(t *testing.T, body string, status int, checkErr string) {
	t.Helper()
	wantStatus := StatusOK
	if status == 503 {
		wantStatus = StatusDegraded
	}
	prefix := `{"status":"` + wantStatus + `","version":"1.0.0","build":"dev","timestamp":1700000000,"uptime_seconds":12345,"checks":[{"name":"dynamodb","status":"`
	if !strings.HasPrefix(body, prefix) {
		t.Fatalf("body = %s\nwant prefix %s", body, prefix)
	}
	var r Report
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 1 {
		t.Fatalf("checks = %+v", r.Checks)
	}
	c := r.Checks[0]
	wantCheck := CheckOK
	if checkErr != "" {
		wantCheck = CheckFail
	}
	if c.Status != wantCheck || c.Error != checkErr || c.LatencyMS < 0 || c.LatencyMS > 5000 {
		t.Errorf("check = %+v, want status %s error %q", c, wantCheck, checkErr)
	}
}

func TestInvokeOtherEvents(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    any
		wantErr error
	}{
		{"warm-up", warmup.Payload, warmup.Response{Warm: true, Function: "health", Cold: false}, nil},
		{"scheduled event", `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, nil, edge.ErrUnsupported},
		{"empty object", `{}`, nil, edge.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := &stubDB{}
			h := newHandler(db, nil)
			got, err := h.Invoke(context.Background(), json.RawMessage(tc.raw))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
			if db.calls != 0 {
				t.Errorf("DescribeTable called %d times", db.calls)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		if _, err := newHandler(&stubDB{}, nil).Invoke(context.Background(), json.RawMessage(`nope`)); err == nil {
			t.Error("no error for a non-JSON event")
		}
	})
	t.Run("HTTP shape that does not decode is still answered over HTTP", func(t *testing.T) {
		resp := invokeHTTP(t, newHandler(&stubDB{}, nil), []byte(`{"routeKey":"GET /health","requestContext":{"http":{"method":42}}}`))
		// The random correlation id may contain "42" itself: leave it out.
		body := strings.ReplaceAll(resp.Body, resp.Headers["X-Correlation-ID"], "")
		if resp.StatusCode != 500 || resp.Headers["X-Correlation-ID"] == "" || strings.Contains(body, "42") {
			t.Errorf("got %d %s", resp.StatusCode, resp.Body)
		}
	})
}

// TestLogs: every line is JSON with the SPEC's fields and this invocation's
// ids; the Lambda request id wins over API Gateway's.
func TestLogs(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(&stubDB{err: errors.New("boom")}, &logs)
	h.ColdStart = func() bool { return true }
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5d1c3e-lambda-req"})
	if _, err := h.Invoke(ctx, eventfile.Read(t, "health-deep.json", nil)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 { // the failed check, then the request line
		t.Fatalf("want 2 log lines, got %d:\n%s", len(lines), logs.String())
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		for k, want := range map[string]any{"service": "levqor", "function_name": "health", "request_id": "8f5d1c3e-lambda-req", "correlation_id": "req-7f3c2a9e-health-02", "cold_start": true} {
			if m[k] != want {
				t.Errorf("%s = %v, want %v in %s", k, m[k], want, line)
			}
		}
		for _, k := range []string{"timestamp", "level", "message"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %s in %s", k, line)
			}
		}
	}
	if !strings.Contains(lines[0], `"error":"boom"`) || !strings.Contains(lines[1], `"status":503`) {
		t.Errorf("log lines miss the cause or the status:\n%s", logs.String())
	}
}

func TestProberCacheAndUptime(t *testing.T) {
	now := fixedNow
	db := &stubDB{status: types.TableStatusActive}
	p := &Prober{Table: "tickets", DB: db, Now: func() time.Time { return now }, Started: fixedNow.Add(time.Hour)}
	l := slog.New(slog.DiscardHandler)
	r := p.Report(context.Background(), true, l)
	if r.UptimeSeconds != 0 {
		t.Errorf("uptime with a start in the future = %d, want 0", r.UptimeSeconds)
	}
	now = now.Add(4 * time.Second)
	p.Report(context.Background(), true, l)
	if db.calls != 1 {
		t.Errorf("within the cache window: %d DescribeTable calls, want 1", db.calls)
	}
	now = now.Add(2 * time.Second)
	p.Report(context.Background(), true, l)
	if db.calls != 2 {
		t.Errorf("after the cache window: %d DescribeTable calls, want 2", db.calls)
	}
	p.Report(context.Background(), false, l)
	if db.calls != 2 {
		t.Errorf("a shallow report called DescribeTable")
	}
	if r := (&Prober{}).Report(context.Background(), true, l); r.Status != StatusDegraded || r.Checks[0].Error != "not configured" || r.UptimeSeconds < 0 {
		t.Errorf("unconfigured prober: %+v", r)
	}
}

// TestDeepAgainstDynamoDBLocal runs the deep check against a real table
// created from template.yaml, and against a table that does not exist.
func TestDeepAgainstDynamoDBLocal(t *testing.T) {
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, client)
	tests := []struct {
		name, table string
		status      int
		checkErr    string
	}{
		{"table from template.yaml", table, 200, ""},
		{"missing table", table + "-missing", 503, "table not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(nil, nil)
			h.Prober.DB, h.Prober.Table, h.Prober.Timeout = client, tc.table, 10*time.Second
			resp := invokeHTTP(t, h, eventfile.Read(t, "health-deep.json", nil))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			checkDeepBody(t, resp.Body, tc.status, tc.checkErr)
		})
	}
}
