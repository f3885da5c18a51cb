package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/awsdrift"
	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/warmup"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

// recorder is the real drift.Runner, remembering the target it was given.
type recorder struct {
	*drift.Runner
	targets []drift.Target
}

func (r *recorder) Run(ctx context.Context, t drift.Target, cid string) (drift.Report, error) {
	r.targets = append(r.targets, t)
	return r.Runner.Run(ctx, t, cid)
}

// newHandler wires the handler to a policy-only scan (every AWS service
// unconfigured) whose reports go to a fresh DynamoDB Local table; table ""
// means a table that does not exist, so storing fails.
// deployedFunctions answers the introspection as deployed functions
// applying code would; nothing else.
type deployedFunctions struct{ code drift.Code }

func (d deployedFunctions) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return nil, errors.New("not answered here")
}

func (d deployedFunctions) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	b, _ := json.Marshal(warmup.Introspection{Function: aws.ToString(in.FunctionName), Build: buildinfo.Build, Tiers: d.code.Tiers, Policy: d.code.Policy})
	return &lambda.InvokeOutput{StatusCode: 200, Payload: b}, nil
}

func newHandler(t *testing.T, code *drift.Code, table string, logs *bytes.Buffer) (*Handler, *recorder) {
	t.Helper()
	b, err := drift.Current()
	if err != nil {
		t.Fatal(err)
	}
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	if table == "" {
		table = "no-such-table"
	}
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	store := &dynamo.DriftReports{Client: client, Table: table}
	deployed := drift.CodePolicy()
	if code != nil {
		deployed = *code
	}
	scanner := &awsdrift.Scanner{Baseline: b, Code: code, Functions: deployedFunctions{deployed},
		FunctionNames: map[string]string{"TicketsFunction": "levqor-dev-TicketsFunction"}}
	rec := &recorder{Runner: &drift.Runner{Scanner: scanner, Store: store}}
	return &Handler{
		Function: "driftscan", Logger: logging.New(logs, "levqor", "driftscan"),
		Runner: rec, Reports: store, ColdStart: func() bool { return false },
	}, rec
}

func decodeResponse(t *testing.T, out any) (events.APIGatewayV2HTTPResponse, map[string]any) {
	t.Helper()
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		t.Fatalf("response is %T, want events.APIGatewayV2HTTPResponse", out)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return resp, body
}

func TestHTTP(t *testing.T) {
	table := dynamolocal.Table(t, dynamolocal.Client(t, dynamolocal.Endpoint(t)))
	drifted := drift.CodePolicy()
	drifted.Policy.RefundWindowDays = 14
	// One stored report, so that ?latest=1 has something to return whichever
	// cases run.
	seed, _ := newHandler(t, nil, table, nil)
	if _, err := seed.Invoke(context.Background(), eventfile.Read(t, "driftscan.json", nil)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		event       []byte
		code        *drift.Code
		table       string
		status      int
		contentType string
		field       string // a top-level body field
		value       any
	}{
		{"scan in sync", eventfile.Read(t, "driftscan-http.json", nil), nil, table, 200, "application/json", "status", "in_sync"},
		{"scan drifted", eventfile.Read(t, "driftscan-http.json", nil), &drifted, table, 200, "application/json", "status", "drifted"},
		{"scan answered even when the report cannot be stored", eventfile.Read(t, "driftscan-http.json", nil), nil, "", 200, "application/json", "status", "in_sync"},
		{"latest returns the stored report", eventfile.Read(t, "driftscan-latest.json", nil), nil, table, 200, "application/json", "baseline", "v12.12"},
		{"latest when the table is missing (a misconfiguration)", eventfile.Read(t, "driftscan-latest.json", nil), nil, "", 500, problem.ContentType, "type", "https://levqor.ai/problems/internal-error"},
		{"bad latest value", eventfile.Read(t, "driftscan-latest.json", func(m map[string]any) { m["rawQueryString"] = "latest=maybe" }),
			nil, table, 400, problem.ContentType, "detail", "latest must be 1, true, 0 or false"},
		{"wrong method", eventfile.Read(t, "driftscan-http.json", func(m map[string]any) {
			m["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "DELETE"
		}), nil, table, 404, problem.ContentType, "status", float64(404)},
		{"AWS's own IAM-authorised sample", eventfile.Read(t, "aws/apigw-v2-request-iam.json", nil), nil, table, 200, "application/json", "status", "in_sync"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, _ := newHandler(t, tc.code, tc.table, &logs)
			out, err := h.Invoke(context.Background(), tc.event)
			if err != nil {
				t.Fatalf("HTTP invocation returned a Go error: %v", err)
			}
			resp, body := decodeResponse(t, out)
			if resp.StatusCode != tc.status || resp.Headers["Content-Type"] != tc.contentType || body[tc.field] != tc.value {
				t.Fatalf("got %d %s %s=%v, want %d %s %v\n%s", resp.StatusCode, resp.Headers["Content-Type"], tc.field, body[tc.field],
					tc.status, tc.contentType, tc.value, resp.Body)
			}
			if resp.Headers["X-Correlation-ID"] == "" {
				t.Error("no X-Correlation-ID")
			}
			if strings.Contains(logs.String(), "AKIAIOSFODNN7EXAMPLE") || strings.Contains(logs.String(), "AWS4-HMAC-SHA256") {
				t.Errorf("credentials in logs: %s", logs.String())
			}
		})
	}
	t.Run("latest when DynamoDB cannot be reached is 503 with Retry-After", func(t *testing.T) {
		h, _ := newHandler(t, nil, table, nil)
		h.Reports = &dynamo.DriftReports{Client: dynamolocal.Client(t, "http://127.0.0.1:1"), Table: table}
		out, _ := h.Invoke(context.Background(), eventfile.Read(t, "driftscan-latest.json", nil))
		if resp, body := decodeResponse(t, out); resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" ||
			body["type"] != "https://levqor.ai/problems/service-unavailable" {
			t.Errorf("got %d %v %v, want 503 service-unavailable with Retry-After", resp.StatusCode, resp.Headers, body)
		}
	})
	t.Run("latest when DynamoDB stalls is 503 within the read budget", func(t *testing.T) {
		h, _ := newHandler(t, nil, table, nil)
		h.Reports = &dynamo.DriftReports{Client: dynamolocal.Client(t, testutil.StalledServer(t)), Table: table}
		h.ReadBudget = 300 * time.Millisecond
		start := time.Now()
		out, _ := h.Invoke(context.Background(), eventfile.Read(t, "driftscan-latest.json", nil))
		if resp, body := decodeResponse(t, out); resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" || time.Since(start) > httpapi.ReadBudget/2 {
			t.Errorf("got %d %v %v after %v, want 503 with Retry-After at once", resp.StatusCode, resp.Headers, body, time.Since(start))
		}
	})
	t.Run("latest before any scan", func(t *testing.T) {
		empty := dynamolocal.Table(t, dynamolocal.Client(t, dynamolocal.Endpoint(t)))
		h, _ := newHandler(t, nil, empty, nil)
		out, _ := h.Invoke(context.Background(), eventfile.Read(t, "driftscan-latest.json", nil))
		if resp, body := decodeResponse(t, out); resp.StatusCode != 404 || !strings.Contains(body["detail"].(string), "no drift report") {
			t.Errorf("got %d %v, want 404 no drift report", resp.StatusCode, body)
		}
	})
	t.Run("latest does not scan", func(t *testing.T) {
		h, rec := newHandler(t, nil, table, nil)
		if _, err := h.Invoke(context.Background(), eventfile.Read(t, "driftscan-latest.json", nil)); err != nil || len(rec.targets) != 0 {
			t.Errorf("latest ran %d scans (err %v), want none", len(rec.targets), err)
		}
	})
}

func TestScheduled(t *testing.T) {
	table := dynamolocal.Table(t, dynamolocal.Client(t, dynamolocal.Endpoint(t)))
	drifted := drift.CodePolicy()
	drifted.Tiers[0].SLAHours = 72
	cases := []struct {
		name    string
		event   []byte
		code    *drift.Code
		table   string
		status  string
		wantErr bool
		target  drift.Target
	}{
		{"schedule input", eventfile.Read(t, "driftscan.json", nil), nil, table, drift.InSync, false,
			drift.Target{APIURL: "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com/dev", APIID: "a1b2c3d4e5"}},
		{"drift is a finding, not a failure", eventfile.Read(t, "driftscan.json", nil), &drifted, table, drift.Drifted, false,
			drift.Target{APIURL: "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com/dev", APIID: "a1b2c3d4e5"}},
		{"bare EventBridge scheduled event", []byte(`{"version":"0","id":"89d1a02d-5ec7-412e-82f5-13505f849b41","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-25T12:00:00Z","region":"eu-west-2","resources":["arn:aws:events:eu-west-2:123456789012:rule/levqor-dev-drift-daily"],"detail":{}}`),
			nil, table, drift.InSync, false, drift.Target{}},
		{"store failure is returned for a retry", eventfile.Read(t, "driftscan.json", nil), nil, "", drift.InSync, true,
			drift.Target{APIURL: "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com/dev", APIID: "a1b2c3d4e5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, rec := newHandler(t, tc.code, tc.table, nil)
			out, err := h.Invoke(context.Background(), tc.event)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			rep, ok := out.(drift.Report)
			if !ok || rep.Status != tc.status {
				t.Fatalf("out = %#v, want a %s report", out, tc.status)
			}
			if len(rec.targets) != 1 || rec.targets[0] != tc.target {
				t.Errorf("targets = %+v, want [%+v]", rec.targets, tc.target)
			}
		})
	}
}

// TestScanCannotRun: a scan without a baseline is status error: 503 over
// HTTP, an error (for EventBridge to retry) on the schedule.
func TestScanCannotRun(t *testing.T) {
	h, _ := newHandler(t, nil, "", nil)
	h.Runner = &drift.Runner{Scanner: &awsdrift.Scanner{}}
	out, err := h.Invoke(context.Background(), eventfile.Read(t, "driftscan-http.json", nil))
	if resp, body := decodeResponse(t, out); err != nil || resp.StatusCode != 503 || body["type"] != "https://levqor.ai/problems/service-unavailable" {
		t.Errorf("HTTP = %d %v (%v), want 503 service-unavailable", resp.StatusCode, body, err)
	}
	out, err = h.Invoke(context.Background(), eventfile.Read(t, "driftscan.json", nil))
	if rep, ok := out.(drift.Report); err == nil || !ok || rep.Status != drift.Error {
		t.Errorf("scheduled = %#v, %v; want an error report and an error", out, err)
	}
}

func TestInvokeOtherEvents(t *testing.T) {
	h, rec := newHandler(t, nil, "", nil)
	out, err := h.Invoke(context.Background(), []byte(warmup.Payload))
	if w, ok := out.(warmup.Response); err != nil || !ok || !w.Warm || w.Function != "driftscan" || len(rec.targets) != 0 {
		t.Errorf("warm-up = %#v, %v (scans %d)", out, err, len(rec.targets))
	}
	for _, raw := range []string{`{"Records":[]}`, `{"source":"levqor.other"}`, `[]`, `not json`} {
		if _, err := h.Invoke(context.Background(), []byte(raw)); err == nil {
			t.Errorf("Invoke(%s) succeeded, want an error", raw)
		}
	}
	if _, err := h.Invoke(context.Background(), []byte(`{"source":"levqor.other"}`)); !errors.Is(err, edge.ErrUnsupported) {
		t.Errorf("unsupported event error = %v", err)
	}
	if len(rec.targets) != 0 {
		t.Errorf("unsupported events ran %d scans", len(rec.targets))
	}
}
