package invoke

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/contract"
	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/warmup"
)

// TestFunctionsAnswerTheirEvents is the runtime test: every function in
// template.yaml, built for this machine, runs under the runtime interface
// emulator with its template environment (table in DynamoDB Local, bus on
// a local PutEvents stand-in, every other AWS endpoint refused) and answers
// the warm-up payload and each of its sample events (events/<dir>*.json)
// with a well-formed answer.
func TestFunctionsAnswerTheirEvents(t *testing.T) {
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	table := dynamolocal.Table(t, client)
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), samtemplate.Options{Overrides: samtemplate.LocalOverrides(table)})
	if err != nil {
		t.Fatal(err)
	}
	rie, err := RIE(root)
	if err != nil {
		t.Fatal(err)
	}
	var busOut bytes.Buffer
	bus, err := StartBus(&busOut)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	extra := LocalEndpoints(dynamolocal.Endpoint(t), bus.URL)
	bins := t.TempDir()

	api, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range tpl.Functions {
		t.Run(fn.Dir, func(t *testing.T) {
			if !hasGoFiles(filepath.Join(root, "functions", fn.Dir)) {
				t.Fatalf("functions/%s has no Go code yet, but template.yaml declares %s", fn.Dir, fn.LogicalID)
			}
			events, _ := filepath.Glob(filepath.Join(root, "events", fn.Dir+"*.json"))
			if len(events) == 0 {
				t.Fatalf("no sample event events/%s*.json for %s", fn.Dir, fn.LogicalID)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			bin, err := Binary(ctx, root, "./functions/"+fn.Dir, filepath.Join(bins, fn.Dir, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			em, err := Start(ctx, Options{RIE: rie, Bootstrap: bin, Env: Env(&fn, extra), Output: &logs})
			if err != nil {
				t.Fatal(err)
			}
			defer em.Stop()
			defer func() {
				if t.Failed() {
					t.Logf("emulator and function output:\n%s", logs.String())
				}
			}()
			invokeTimeout := time.Duration(fn.Timeout+5) * time.Second

			t.Run("warmup", func(t *testing.T) {
				out := invokeOnce(t, em, []byte(warmup.Payload), invokeTimeout)
				var w warmup.Response
				if err := json.Unmarshal(out, &w); err != nil || !w.Warm {
					t.Errorf("warm-up answer %s, want {\"warm\":true,...}", out)
				}
			})
			for _, path := range events {
				t.Run(filepath.Base(path), func(t *testing.T) {
					event, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					out := invokeOnce(t, em, event, invokeTimeout)
					if msg := CheckAnswer(event, out); msg != "" {
						t.Errorf("%s: %s\nresponse: %s", filepath.Base(path), msg, out)
					}
					// Every HTTP answer keeps to the OpenAPI document.
					if x, ok := exchange(event, out); ok {
						if err := api.Check(x); err != nil {
							t.Errorf("%s: against the OpenAPI document: %v\nresponse: %.600s", filepath.Base(path), err, out)
						}
					}
					// Sample bad requests must be refused as the client's fault.
					if strings.Contains(filepath.Base(path), "-invalid-") {
						var r struct {
							StatusCode int               `json:"statusCode"`
							Headers    map[string]string `json:"headers"`
						}
						_ = json.Unmarshal(out, &r)
						if r.StatusCode < 400 || r.StatusCode > 499 || !strings.HasPrefix(httpapi.Header(r.Headers, "Content-Type"), "application/problem+json") {
							t.Errorf("%s: status %d, Content-Type %q; want a 4xx problem document", filepath.Base(path), r.StatusCode, httpapi.Header(r.Headers, "Content-Type"))
						}
					}
				})
			}
		})
	}
}

func invokeOnce(t *testing.T, em *Emulator, event []byte, timeout time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := em.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return out
}

func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range m {
		if !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}

func TestCheckAnswer(t *testing.T) {
	httpEvent := []byte(`{"version":"2.0","routeKey":"GET /health","requestContext":{"http":{"method":"GET"}}}`)
	headEvent := []byte(`{"version":"2.0","routeKey":"HEAD /health","requestContext":{"http":{"method":"HEAD"}}}`)
	scheduled := []byte(`{"source":"aws.events","detail-type":"Scheduled Event"}`)
	b64 := base64.StdEncoding.EncodeToString([]byte(`{"ok":true}`))
	tests := []struct {
		name        string
		event, out  []byte
		wantProblem bool
	}{
		{"http ok", httpEvent, []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"status\":\"ok\"}"}`), false},
		{"http 4xx problem", httpEvent, []byte(`{"statusCode":400,"headers":{"content-type":"application/problem+json"},"body":"{}"}`), false},
		{"http base64 body", httpEvent, []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"isBase64Encoded":true,"body":"` + b64 + `"}`), false},
		{"head without body", headEvent, []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"}}`), false},
		{"http 500", httpEvent, []byte(`{"statusCode":500,"headers":{"Content-Type":"application/json"},"body":"{}"}`), true},
		{"http 503", httpEvent, []byte(`{"statusCode":503,"headers":{"Content-Type":"application/json"},"body":"{}"}`), true},
		{"http body not json", httpEvent, []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"hello"}`), true},
		{"http body without content type", httpEvent, []byte(`{"statusCode":200,"headers":{},"body":"{}"}`), true},
		{"http script", httpEvent, []byte(`{"statusCode":200,"headers":{"Content-Type":"application/javascript"},"body":"export{}"}`), false},
		{"http no status", httpEvent, []byte(`{"body":"{}"}`), true},
		{"function error", httpEvent, []byte(`{"errorMessage":"boom","errorType":"errorString"}`), true},
		{"not json", scheduled, []byte(`oops`), true},
		{"scheduled ok", scheduled, []byte(`{"status":"ok","results":[]}`), false},
		{"scheduled function error", scheduled, []byte(`{"errorMessage":"boom","errorType":"errorString"}`), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := CheckAnswer(tc.event, tc.out)
			if (msg != "") != tc.wantProblem {
				t.Errorf("CheckAnswer = %q, want a problem: %v", msg, tc.wantProblem)
			}
		})
	}
}
