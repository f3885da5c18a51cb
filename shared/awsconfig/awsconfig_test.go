package awsconfig

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
			cfg, err := Load(env(tc.env))
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
			cfg, err := Load(env(m))
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
