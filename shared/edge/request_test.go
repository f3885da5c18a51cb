package edge

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestBaseURL(t *testing.T) {
	rc := func(domain, stage string) events.APIGatewayV2HTTPRequestContext {
		return events.APIGatewayV2HTTPRequestContext{DomainName: domain, Stage: stage}
	}
	cases := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
		want string
	}{
		{"API Gateway stage", events.APIGatewayV2HTTPRequest{RequestContext: rc("abc.execute-api.eu-west-2.amazonaws.com", "dev")}, "https://abc.execute-api.eu-west-2.amazonaws.com/dev"},
		{"$default stage", events.APIGatewayV2HTTPRequest{RequestContext: rc("api.levqor.ai", "$default")}, "https://api.levqor.ai"},
		{"local gateway over http", events.APIGatewayV2HTTPRequest{Headers: map[string]string{"x-forwarded-proto": "http"}, RequestContext: rc("127.0.0.1:3000", "")}, "http://127.0.0.1:3000"},
		{"unknown scheme is https", events.APIGatewayV2HTTPRequest{Headers: map[string]string{"x-forwarded-proto": "gopher"}, RequestContext: rc("x", "")}, "https://x"},
		{"host header", events.APIGatewayV2HTTPRequest{Headers: map[string]string{"host": "h.example"}}, "https://h.example"},
		{"no host", events.APIGatewayV2HTTPRequest{}, ""},
		{"stage escaped", events.APIGatewayV2HTTPRequest{RequestContext: rc("x", "a b")}, "https://x/a%20b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := BaseURL(tc.req); got != tc.want {
				t.Errorf("BaseURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	cases := []struct {
		name    string
		req     events.APIGatewayV2HTTPRequest
		want    url.Values
		wantErr bool
	}{
		{"raw", events.APIGatewayV2HTTPRequest{RawQueryString: "deep=1&t=2&deep=0"}, url.Values{"deep": {"1", "0"}, "t": {"2"}}, false},
		{"escaped key", events.APIGatewayV2HTTPRequest{RawQueryString: "d%65ep=true"}, url.Values{"deep": {"true"}}, false},
		{"parsed map only", events.APIGatewayV2HTTPRequest{QueryStringParameters: map[string]string{"latest": "1"}}, url.Values{"latest": {"1"}}, false},
		{"bad escape", events.APIGatewayV2HTTPRequest{RawQueryString: "deep=%zz"}, url.Values{}, true},
		{"none", events.APIGatewayV2HTTPRequest{}, url.Values{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Query(tc.req)
			if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Query = %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
