package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/warmup"
)

// routed is a Handler whose routes say which one ran.
func routed(logs io.Writer) *Handler {
	return &Handler{
		Function: "fn", Logger: slog.New(slog.NewJSONHandler(logs, nil)), ColdStart: func() bool { return false },
		HTTP: func(_ context.Context, req events.APIGatewayV2HTTPRequest, c Call) events.APIGatewayV2HTTPResponse {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "http " + req.RouteKey + " " + c.RequestID}
		},
		Stream: func(_ context.Context, b events.DynamoDBEvent, _ Call) events.DynamoDBEventResponse {
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: b.Records[0].EventID}}}
		},
		Schedule: OnSchedule(func(_ context.Context, s Scheduled, _ Call) (any, error) { return "schedule " + s.APIURL, nil }),
	}
}

func TestInvokeRoutes(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		want      string // the answer, summarised
		wantErr   bool
		errLogged bool
	}{
		{"warm-up", warmup.Payload, "warm", false, false},
		{"http", `{"routeKey":"GET /health","requestContext":{"http":{"method":"GET"}}}`, "http GET /health req-1", false, false},
		{"http without route key", `{"requestContext":{"http":{"method":"POST"},"requestId":"api-1"}}`, "http  req-1", false, false},
		{"http shape that does not decode", `{"routeKey":"GET /health","requestContext":"broken"}`, "500", false, true},
		{"stream", `{"Records":[{"eventID":"e1","eventSource":"aws:dynamodb","eventName":"INSERT"}]}`, "stream e1", false, false},
		{"schedule input", `{"source":"levqor.schedule","api_url":"https://x/dev"}`, "schedule https://x/dev", false, false},
		{"scheduled event", `{"id":"e","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, "schedule ", false, false},
		{"schedule with a mistyped field", `{"source":"levqor.schedule","apiurl":"x"}`, "", true, true},
		{"other source", `{"source":"aws.s3"}`, "", true, true},
		{"empty object", `{}`, "", true, true},
		{"other shape that does not decode", `{"source":5}`, "", true, true},
		{"a list", `[1]`, "", true, true},
		{"not JSON", `nope`, "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
			got, err := routed(&logs).Invoke(ctx, []byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Invoke(%s) error %v, want error %v", tt.raw, err, tt.wantErr)
			}
			var sum string
			switch g := got.(type) {
			case warmup.Response:
				sum = "warm"
			case events.APIGatewayV2HTTPResponse:
				sum = g.Body
				if g.StatusCode == 500 {
					sum = "500"
				}
			case events.DynamoDBEventResponse:
				sum = "stream " + g.BatchItemFailures[0].ItemIdentifier
			case string:
				sum = g
			}
			if sum != tt.want {
				t.Errorf("Invoke(%s) = %q, want %q", tt.raw, sum, tt.want)
			}
			if logged := strings.Contains(logs.String(), `"level":"ERROR"`); logged != tt.errLogged {
				t.Errorf("error logged %v: %s", logged, logs.String())
			}
		})
	}
}

// TestUnsupported: a function without a route for an event refuses it with
// ErrUnsupported, naming what it takes; the 500 answer for an undecodable
// HTTP event holds no detail.
func TestUnsupported(t *testing.T) {
	h := &Handler{Function: "health", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), ColdStart: func() bool { return false },
		HTTP: routed(io.Discard).HTTP}
	for _, raw := range []string{`{"source":"levqor.schedule"}`, `{"Records":[{"eventSource":"aws:dynamodb"}]}`, `{}`} {
		_, err := h.Invoke(context.Background(), []byte(raw))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "health") {
			t.Errorf("Invoke(%s) = %v, want ErrUnsupported naming the function", raw, err)
		}
	}
	got, _ := h.Invoke(context.Background(), []byte(`{"routeKey":"GET /health","body":5}`))
	r, ok := got.(events.APIGatewayV2HTTPResponse)
	if !ok || r.StatusCode != 500 || r.Headers["X-Correlation-ID"] == "" || strings.Contains(r.Body, "unmarshal") {
		t.Errorf("undecodable HTTP event answered %#v", got)
	}
}

// TestHTTPPanic: a panicking HTTP route is answered with a 500 problem
// carrying the request's correlation id, its detail and stack logged only,
// and counted as a Panics metric.
func TestHTTPPanic(t *testing.T) {
	var logs, emf bytes.Buffer
	h := &Handler{Function: "fn", Service: "levqor", Logger: slog.New(slog.NewJSONHandler(&logs, nil)), ColdStart: func() bool { return false },
		Metrics: &metrics.Writer{W: &emf},
		HTTP: func(context.Context, events.APIGatewayV2HTTPRequest, Call) events.APIGatewayV2HTTPResponse {
			var m map[string]int
			m["x"]++ // a bug: assignment to a nil map
			return events.APIGatewayV2HTTPResponse{StatusCode: 200}
		}}
	got, err := h.Invoke(context.Background(), []byte(`{"routeKey":"GET /health","headers":{"x-correlation-id":"cid-panic-1"},"requestContext":{"http":{"method":"GET"}}}`))
	r, ok := got.(events.APIGatewayV2HTTPResponse)
	if err != nil || !ok || r.StatusCode != 500 || r.Headers["X-Correlation-ID"] != "cid-panic-1" ||
		r.Headers["Content-Type"] != "application/problem+json" || strings.Contains(r.Body, "nil map") {
		t.Fatalf("panicking route answered %#v, %v", got, err)
	}
	if !strings.Contains(logs.String(), "assignment to entry in nil map") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("panic and stack not logged: %s", logs.String())
	}
	if err := metrics.Check(bytes.TrimSpace(emf.Bytes())); err != nil || !strings.Contains(emf.String(), `"Panics":1`) {
		t.Errorf("no Panics metric (%v): %s", err, emf.String())
	}
}

// TestColdStartMetric: one ColdStart EMF record for the first invocation of
// an environment, none after, and none without a writer.
func TestColdStartMetric(t *testing.T) {
	var out bytes.Buffer
	first := true
	h := &Handler{Function: "levqor-dev-HealthFunction", Service: "levqor", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:   &metrics.Writer{W: &out},
		ColdStart: func() bool { c := first; first = false; return c }}
	for i := range 3 {
		got, err := h.Invoke(context.Background(), []byte(warmup.Payload))
		if err != nil || got != (warmup.Response{Warm: true, Function: "levqor-dev-HealthFunction", Cold: i == 0}) {
			t.Fatalf("warm-up %d = %#v, %v", i, got, err)
		}
	}
	if n := strings.Count(out.String(), `"ColdStart":1`); n != 1 || !strings.Contains(out.String(), `"FunctionName":"levqor-dev-HealthFunction"`) ||
		!strings.Contains(out.String(), `"Namespace":"Levqor/Lambda"`) {
		t.Errorf("%d ColdStart records: %s", n, out.String())
	}
	h.Metrics, first = nil, true
	if _, err := h.Invoke(context.Background(), []byte(warmup.Payload)); err != nil {
		t.Fatal(err)
	}
}

// TestIntrospection: every function answers the drift scan's introspection
// with its version, build and the policy compiled into it, touching nothing.
func TestIntrospection(t *testing.T) {
	got, err := routed(io.Discard).Invoke(context.Background(), []byte(warmup.IntrospectPayload))
	in, ok := got.(warmup.Introspection)
	if err != nil || !ok || in.Function != "fn" || in.Version != buildinfo.Version || in.Build != buildinfo.Build ||
		len(in.Tiers) != len(tiers.All()) || in.Policy.TrialDays != tiers.Current().TrialDays {
		t.Fatalf("introspection = %#v, %v", got, err)
	}
}
