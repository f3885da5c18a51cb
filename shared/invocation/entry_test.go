package invocation

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/warmup"
)

// testEvent stands in for a function's envelope.
type testEvent struct {
	RouteKey       string `json:"routeKey"`
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	Source string `json:"source"`
}

func (e *testEvent) IsHTTP() bool { return e.RouteKey != "" || e.RequestContext.HTTP.Method != "" }

func TestBegin(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    Kind
		wantErr bool
		source  string // decoded in the same pass
	}{
		{"warm-up", warmup.Payload, Warmup, false, ""},
		{"http", `{"routeKey":"GET /health","requestContext":{"http":{"method":"GET"}}}`, HTTP, false, ""},
		{"http without route key", `{"requestContext":{"http":{"method":"POST"}}}`, HTTP, false, ""},
		{"schedule", `{"source":"levqor.schedule"}`, Other, false, "levqor.schedule"},
		{"http shape that does not decode", `{"routeKey":"GET /health","requestContext":"broken"}`, HTTP, true, ""},
		{"other shape that does not decode", `{"source":5}`, Other, true, ""},
		{"a list", `[1]`, Other, true, ""},
		{"not JSON", `nope`, Other, true, ""},
		{"empty", ``, Other, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			e := &Entry{Function: "fn", Logger: slog.New(slog.NewJSONHandler(&logs, nil)), ColdStart: func() bool { return false }}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
			var ev testEvent
			c, err := e.Begin(ctx, []byte(tt.raw), &ev)
			if c.Kind != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("Begin(%q) = %v, %v; want %v, error %v", tt.raw, c.Kind, err, tt.want, tt.wantErr)
			}
			if c.RequestID != "req-1" || ev.Source != tt.source {
				t.Errorf("request id %q, source %q", c.RequestID, ev.Source)
			}
			// Errors the caller answers over HTTP are not logged twice here.
			if logged := strings.Contains(logs.String(), `"level":"ERROR"`); logged != (tt.wantErr && tt.want != HTTP) {
				t.Errorf("error logged %v: %s", logged, logs.String())
			}
		})
	}
}

func TestCallAnswers(t *testing.T) {
	e := &Entry{Function: "fn", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), ColdStart: func() bool { return true }}
	c, _ := e.Begin(context.Background(), []byte(warmup.Payload), &testEvent{})
	if w := c.Warm(); w != (warmup.Response{Warm: true, Function: "fn", Cold: true}) {
		t.Errorf("Warm() = %+v", w)
	}
	r := c.Undecodable(errors.New("secret-detail"))
	if r.StatusCode != 500 || r.Headers["X-Correlation-ID"] == "" || strings.Contains(r.Body, "secret-detail") {
		t.Errorf("Undecodable = %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if err := c.Unsupported(io.EOF); err != io.EOF {
		t.Errorf("Unsupported returned %v", err)
	}
}

// TestColdStartMetric: one ColdStart EMF record for the first invocation of
// an environment, none after, and none without a writer.
func TestColdStartMetric(t *testing.T) {
	var out bytes.Buffer
	first := true
	e := &Entry{Function: "levqor-dev-HealthFunction", Service: "levqor", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:   &metrics.Writer{W: &out},
		ColdStart: func() bool { c := first; first = false; return c }}
	for range 3 {
		if _, err := e.Begin(context.Background(), []byte(warmup.Payload), &testEvent{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(out.String(), `"ColdStart":1`); n != 1 || !strings.Contains(out.String(), `"FunctionName":"levqor-dev-HealthFunction"`) ||
		!strings.Contains(out.String(), `"Namespace":"Levqor/Lambda"`) {
		t.Errorf("%d ColdStart records: %s", n, out.String())
	}
	e.Metrics, first = nil, true
	if _, err := e.Begin(context.Background(), []byte(warmup.Payload), &testEvent{}); err != nil {
		t.Fatal(err)
	}
}

func TestDispatch(t *testing.T) {
	errUnsupported := errors.New("unsupported")
	routes := func(ev *testEvent) Routes {
		return Routes{
			HTTP:    func(c Call) any { return "http" },
			Respond: func(r httpapi.Response) any { return r.StatusCode },
			Other: func(c Call) (any, error) {
				if ev.Source == "" {
					return nil, c.Unsupported(errUnsupported)
				}
				return "other " + ev.Source, nil
			},
		}
	}
	tests := []struct {
		raw     string
		want    any
		wantErr error // nil, errUnsupported, or errAny for a decoding error
	}{
		{warmup.Payload, warmup.Response{Warm: true, Function: "fn"}, nil},
		{`{"routeKey":"GET /health"}`, "http", nil},
		{`{"routeKey":"GET /health","requestContext":"broken"}`, 500, nil},
		{`{"source":"levqor.schedule"}`, "other levqor.schedule", nil},
		{`{}`, nil, errUnsupported},
		{`nope`, nil, errAny},
	}
	for _, tt := range tests {
		e := &Entry{Function: "fn", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), ColdStart: func() bool { return false }}
		var ev testEvent
		got, err := e.Dispatch(context.Background(), []byte(tt.raw), &ev, routes(&ev))
		if got != tt.want || (tt.wantErr == errAny) != (err != nil && !errors.Is(err, errUnsupported)) || (tt.wantErr == errUnsupported) != errors.Is(err, errUnsupported) {
			t.Errorf("Dispatch(%s) = %#v, %v; want %#v, %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
	// Without Other, anything that is not HTTP is Unsupported.
	e := &Entry{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), ColdStart: func() bool { return false }}
	if _, err := e.Dispatch(context.Background(), []byte(`{"source":"x"}`), &testEvent{}, Routes{Unsupported: errUnsupported}); err != errUnsupported {
		t.Errorf("no Other route: %v", err)
	}
}

var errAny = errors.New("any decoding error")
