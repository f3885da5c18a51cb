package edge

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/eventfile"
)

// sameAsEncodingJSON reports whether decodeHTTP, where it takes raw, reads
// what encoding/json reads into the envelope, and what it took.
func sameAsEncodingJSON(t *testing.T, raw []byte) bool {
	t.Helper()
	var fast events.APIGatewayV2HTTPRequest
	if !decodeHTTP(raw, &fast) {
		return false
	}
	var ref envelope
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatalf("decodeHTTP took %q, which encoding/json refuses: %v", raw, err)
	}
	if ref.Records != nil || ref.Source != "" {
		t.Fatalf("decodeHTTP took %q, which is not only an HTTP request", raw)
	}
	if !reflect.DeepEqual(fast, ref.APIGatewayV2HTTPRequest) {
		t.Fatalf("%q:\ndecodeHTTP    %+v\nencoding/json %+v", raw, fast, ref.APIGatewayV2HTTPRequest)
	}
	return true
}

// httpEvents are the project's HTTP API events and AWS's own samples.
func httpEvents(t testing.TB) map[string][]byte {
	files, err := filepath.Glob(filepath.Join(eventfile.Dir(t), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	aws, _ := filepath.Glob(filepath.Join(eventfile.Dir(t), "aws", "apigw-v2-*.json"))
	out := map[string][]byte{}
	for _, f := range append(files, aws...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"requestContext"`) {
			out[filepath.Base(f)] = b
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d HTTP events found", len(out))
	}
	return out
}

// TestDecodeHTTPTakesAPIGatewayEvents: every HTTP event of events/ and
// AWS's samples (an authorizer, IAM, cookies) is read by decodeHTTP, not
// left to encoding/json, and read the same; so is each as aws-lambda-go's
// type encodes it (every member written, an mTLS client certificate too).
func TestDecodeHTTPTakesAPIGatewayEvents(t *testing.T) {
	for name, raw := range httpEvents(t) {
		t.Run(name, func(t *testing.T) {
			if !sameAsEncodingJSON(t, raw) {
				t.Error("left to encoding/json")
			}
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				t.Fatal(err)
			}
			req.RequestContext.Authentication.ClientCert.Validity.NotAfter = "Aug  5 00:28:21 2120 GMT"
			encoded, _ := json.Marshal(req)
			if !sameAsEncodingJSON(t, encoded) {
				t.Errorf("left to encoding/json: %s", encoded)
			}
		})
	}
}

// TestDecodeHTTPLeaves: what is not such a request goes to encoding/json.
func TestDecodeHTTPLeaves(t *testing.T) {
	for _, raw := range []string{
		`{"Records":[]}`, `{"source":"aws.events"}`, `{"RouteKey":"GET /"}`, `{"routeKey":null}`,
		`{"routeKey":"GET /"} x`, `{"routeKey":1}`, `{"requestContext":{"timeEpoch":1.5}}`,
		`{"requestContext":{"timeEpoch":"1"}}`, `{"headers":{"a":1}}`, `{"cookies":[1]}`, `[]`, `{`,
		`{"isBase64Encoded":"true"}`, `{"requestContext":{"http":{"verb":"GET"}}}`,
		`{"routeKey":"GET /x","cookies":[1]`, `{"cookies":[null,"routeKey","POST /y"]`, `{"cookies":[{"routeKey":"GET /"}`,
		`{"cookies":[[]`, `{"cookies":[true]`, `{"cookies":["a"]`,
	} {
		t.Run(raw, func(t *testing.T) {
			if sameAsEncodingJSON(t, []byte(raw)) {
				t.Errorf("decodeHTTP took %s", raw)
			}
		})
	}
}

// FuzzDecodeHTTP: whatever decodeHTTP takes, encoding/json reads the same.
func FuzzDecodeHTTP(f *testing.F) {
	for _, raw := range httpEvents(f) {
		f.Add(raw)
	}
	for _, s := range []string{`{"routeKey":"a","routeKey":"b"}`, `{"headers":{"a":"1"},"headers":{"b":"2"}}`,
		`{"cookies":[]}`, `{"headers":{}}`, `{"body":"\ud800 \u00e9 \"x\""}`, "{\"body\":\"\xff\"}",
		`{"requestContext":{"http":{"method":"GET"},"http":{"path":"/"}}}`, `{"requestContext":{"authorizer":null}}`,
		`{"requestContext":{"timeEpoch":-0}}`, `{"requestContext":{"timeEpoch":99999999999999999999}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { sameAsEncodingJSON(t, raw) })
}
