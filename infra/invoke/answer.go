package invoke

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/httpapi"
)

// RefusedEndpoint is where local runs send AWS services that have no local
// stand-in: nothing listens there, so calls fail at once (the functions'
// "dependency unavailable" paths) instead of reaching a real account.
const RefusedEndpoint = "http://127.0.0.1:1"

// LocalEndpoints returns the SDK endpoint variables for a local run:
// DynamoDB at ddb and EventBridge at bus when given, every other service at
// RefusedEndpoint.
func LocalEndpoints(ddb, bus string) map[string]string {
	m := map[string]string{"AWS_ENDPOINT_URL": RefusedEndpoint}
	if ddb != "" {
		m["AWS_ENDPOINT_URL_DYNAMODB"] = ddb
	}
	if bus != "" {
		m["AWS_ENDPOINT_URL_EVENTBRIDGE"] = bus
	}
	return m
}

// IsHTTPEvent reports whether event is an HTTP API payload 2.0 request.
func IsHTTPEvent(event []byte) bool {
	var e struct {
		RouteKey       *string         `json:"routeKey"`
		RequestContext json.RawMessage `json:"requestContext"`
	}
	return json.Unmarshal(event, &e) == nil && e.RouteKey != nil && len(e.RequestContext) > 0
}

// CheckAnswer says what is wrong with a function's answer out to event, or
// "" when it is well-formed: never a Lambda function error; for an HTTP
// event a status below 500 and, unless the body is empty, a Content-Type,
// and a valid body when that type is JSON; for any other event a JSON
// document.
func CheckAnswer(event, out []byte) string {
	if errType := FunctionError(out); errType != "" {
		return fmt.Sprintf("function error %s: %s", errType, errorMessage(out))
	}
	if !IsHTTPEvent(event) {
		if !json.Valid(out) {
			return "answer is not JSON"
		}
		return ""
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return "answer is not an HTTP API response: " + err.Error()
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Sprintf("statusCode %d is not an HTTP status", resp.StatusCode)
	}
	if resp.StatusCode >= 500 {
		return fmt.Sprintf("statusCode %d (a 5xx)", resp.StatusCode)
	}
	body, err := httpapi.Body(resp.Body, resp.IsBase64Encoded)
	if err != nil {
		return "body is not valid base64"
	}
	if len(body) == 0 {
		return ""
	}
	ct := httpapi.Header(resp.Headers, "Content-Type")
	switch {
	case ct == "":
		return "a body without a Content-Type"
	case !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/problem+json"):
		return "" // a script, a page: only JSON is checked further
	case !json.Valid(body):
		return "body is not JSON"
	}
	return ""
}
