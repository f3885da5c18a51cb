package awsconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	smithylog "github.com/aws/smithy-go/logging"

	"github.com/levqor/serverless/shared/awsretry"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/retry"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	creds := map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"AWS_REGION": "eu-west-2"}
		for k, v := range creds {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantErr  string
		region   string
		endpoint string // cfg.BaseEndpoint, "" for none
		token    string
	}{
		{"lambda environment", with(map[string]string{"AWS_SESSION_TOKEN": "TOKEN"}), "", "eu-west-2", "", "TOKEN"},
		{"default region fallback", with(map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-1"}), "", "us-east-1", "", ""},
		{"AWS_REGION wins", with(map[string]string{"AWS_DEFAULT_REGION": "us-east-1"}), "", "eu-west-2", "", ""},
		{"no region", with(map[string]string{"AWS_REGION": ""}), "AWS_REGION", "", "", ""},
		{"no credentials", map[string]string{"AWS_REGION": "eu-west-2"}, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required", "", "", ""},
		{"no secret", with(map[string]string{"AWS_SECRET_ACCESS_KEY": ""}), "AWS_SECRET_ACCESS_KEY is required", "", "", ""},
		{"no key id", with(map[string]string{"AWS_ACCESS_KEY_ID": ""}), "AWS_ACCESS_KEY_ID is required", "", "", ""},
		{"global endpoint", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}), "", "eu-west-2", "http://127.0.0.1:1", ""},
		{"endpoints ignored", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}), "", "eu-west-2", "", ""},
		{"endpoints not ignored", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}), "", "eu-west-2", "http://127.0.0.1:1", ""},
		{"bad ignore flag", with(map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes"}), "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load(env(tc.env), nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tc.region {
				t.Errorf("region %q, want %q", cfg.Region, tc.region)
			}
			if got := aws.ToString(cfg.BaseEndpoint); got != tc.endpoint {
				t.Errorf("BaseEndpoint %q, want %q", got, tc.endpoint)
			}
			c, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil || c.AccessKeyID != "AKID" || c.SecretAccessKey != "SECRET" || c.SessionToken != tc.token {
				t.Errorf("credentials %+v, %v", c, err)
			}
		})
	}
}

func TestEndpointVar(t *testing.T) {
	// The ServiceIDs of the clients the functions build, and the names the
	// local stack sets (infra/devstack, infra/invoke).
	for id, want := range map[string]string{
		"DynamoDB":         "AWS_ENDPOINT_URL_DYNAMODB",
		"EventBridge":      "AWS_ENDPOINT_URL_EVENTBRIDGE",
		"Lambda":           "AWS_ENDPOINT_URL_LAMBDA",
		"ApiGatewayV2":     "AWS_ENDPOINT_URL_APIGATEWAYV2",
		"CloudFormation":   "AWS_ENDPOINT_URL_CLOUDFORMATION",
		"DynamoDB Streams": "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
	} {
		t.Run(id, func(t *testing.T) {
			if got := EndpointVar(id); got != want {
				t.Errorf("EndpointVar(%q) = %q, want %q", id, got, want)
			}
		})
	}
}

// TestClientEndpoint builds a real DynamoDB client from Load's config and
// checks which server its call reaches: the SDK's own per-service lookup
// must find AWS_ENDPOINT_URL_DYNAMODB through the config source, before the
// global AWS_ENDPOINT_URL.
func TestClientEndpoint(t *testing.T) {
	server := func(hits *atomic.Int32) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(`{"TableNames":[]}`))
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	var dHits, gHits atomic.Int32
	ddb, global := server(&dHits), server(&gHits)
	tests := []struct {
		name             string
		env              map[string]string
		wantDDB, wantGlb int32
	}{
		{"service variable", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": ddb}, 1, 0},
		{"service variable before global", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": ddb, "AWS_ENDPOINT_URL": global}, 1, 0},
		{"global only", map[string]string{"AWS_ENDPOINT_URL": global, "AWS_ENDPOINT_URL_EVENTBRIDGE": ddb}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dHits.Store(0)
			gHits.Store(0)
			m := map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
			for k, v := range tc.env {
				m[k] = v
			}
			cfg, err := Load(env(m), nil)
			if err != nil {
				t.Fatal(err)
			}
			client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
			if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
				t.Fatal(err)
			}
			if dHits.Load() != tc.wantDDB || gHits.Load() != tc.wantGlb {
				t.Errorf("hits: dynamodb server %d, global server %d; want %d, %d", dHits.Load(), gHits.Load(), tc.wantDDB, tc.wantGlb)
			}
		})
	}
}

// TestSDKLogger: the SDK's messages become JSON records at the right level,
// with the invocation's ids when the operation's context carries its logger.
func TestSDKLogger(t *testing.T) {
	var buf bytes.Buffer
	base := logging.New(&buf, "levqor", "fn")
	inv := logging.Invocation(base, "req-1", "cid-1", false)
	cases := []struct {
		name  string
		ctx   context.Context
		class smithylog.Classification
		level string
		cid   string
	}{
		{"warning, no invocation", context.Background(), smithylog.Warn, "warn", ""},
		{"warning in an invocation", logging.With(context.Background(), inv), smithylog.Warn, "warn", "cid-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			l := smithylog.WithContext(tc.ctx, SDKLogger(base))
			l.Logf(tc.class, "failed to close HTTP response body, %s", "checksum")
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("not one JSON line: %q", buf.String())
			}
			if rec["level"] != tc.level || rec["source"] != "aws-sdk" || rec["message"] != "failed to close HTTP response body, checksum" || rec["service"] != "levqor" {
				t.Errorf("record %v", rec)
			}
			if got, _ := rec["correlation_id"].(string); got != tc.cid {
				t.Errorf("correlation_id %q, want %q", got, tc.cid)
			}
		})
	}
}

// TestSDKWarningsAreJSON drives a real DynamoDB client against a server
// whose CRC32 header is wrong (what DynamoDB Local's compressed answers look
// like to the SDK) and checks that whatever the SDK logs is JSON.
func TestSDKWarningsAreJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", "1")
		w.Write([]byte(`{"TableNames":[]}`))
	}))
	defer srv.Close()
	var buf bytes.Buffer
	cfg, err := Load(env(map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_ENDPOINT_URL_DYNAMODB": srv.URL}), logging.New(&buf, "levqor", "fn"))
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	inv := logging.Invocation(logging.New(&buf, "levqor", "fn"), "req-1", "cid-1", false)
	_, _ = db.ListTables(logging.With(context.Background(), inv), &dynamodb.ListTablesInput{})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("the SDK logged nothing: the checksum warning this test relies on is gone")
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if rec["source"] != "aws-sdk" || rec["correlation_id"] != "cid-1" || !strings.Contains(fmt.Sprint(rec["message"]), "checksum") {
			t.Errorf("record %v", rec)
		}
	}
}

// TestOneRetryPolicy counts the attempts each AWS client the functions use
// makes against an endpoint that always fails with a 500, built as the
// functions build them (Load, then NewFromConfig with no retry options):
// the one policy's three, whatever the service's own default would be.
func TestOneRetryPolicy(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	cfg, err := Load(env(map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_ENDPOINT_URL": srv.URL}), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Fast waits: the count is the point, not the backoff.
	cfg.Retryer = func() aws.Retryer {
		return awsretry.Retryer(retry.Policy{Attempts: retry.Default().Attempts, Base: time.Millisecond, Max: time.Millisecond})
	}
	ctx := context.Background()
	clients := []struct {
		name string
		call func() error
	}{
		{"dynamodb", func() error {
			_, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("t")})
			return err
		}},
		{"eventbridge", func() error {
			_, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}}})
			return err
		}},
		{"lambda", func() error {
			_, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f")})
			return err
		}},
		{"cloudformation", func() error {
			_, err := cloudformation.NewFromConfig(cfg).DescribeStackDriftDetectionStatus(ctx, &cloudformation.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: aws.String("d")})
			return err
		}},
		{"apigatewayv2", func() error {
			_, err := apigatewayv2.NewFromConfig(cfg).GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String("a")})
			return err
		}},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			calls.Store(0)
			if err := c.call(); err == nil {
				t.Fatal("the failing endpoint answered")
			}
			if got, want := calls.Load(), int32(retry.Default().Attempts); got != want {
				t.Errorf("%d attempts, want %d", got, want)
			}
		})
	}
	t.Run("Load's own retryer", func(t *testing.T) {
		cfg, _ := Load(env(map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}), nil)
		if got := cfg.Retryer().MaxAttempts(); got != retry.Default().Attempts {
			t.Errorf("MaxAttempts %d, want %d", got, retry.Default().Attempts)
		}
	})
}
