package edge

import (
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/problem"
)

// BaseURL rebuilds the API's base URL from a request that reached it:
// scheme from X-Forwarded-Proto (https when absent: API Gateway; the local
// gateway sends http), host from the request context's domain name (the
// Host header when absent), and the stage as a path segment unless it is
// $default. It returns "" when the request names no host.
func BaseURL(req events.APIGatewayV2HTTPRequest) string {
	scheme := strings.ToLower(httpapi.Header(req.Headers, "X-Forwarded-Proto"))
	if scheme != "http" {
		scheme = "https"
	}
	host := req.RequestContext.DomainName
	if host == "" {
		host = httpapi.Header(req.Headers, "Host")
	}
	if host == "" {
		return ""
	}
	u := url.URL{Scheme: scheme, Host: host}
	if st := req.RequestContext.Stage; st != "" && st != "$default" {
		u.Path = "/" + st
	}
	return u.String()
}

// Query returns the request's query parameters, decoded from
// rawQueryString (every value of a repeated parameter, in order) as
// url.ParseQuery decodes it, or from queryStringParameters when
// rawQueryString is empty (hand-written events may fill only that). It
// returns url.ParseQuery's error for a query that does not decode, with
// the parameters it could read.
func Query(req events.APIGatewayV2HTTPRequest) (url.Values, error) {
	if req.RawQueryString == "" {
		q := url.Values{}
		for k, v := range req.QueryStringParameters {
			q.Set(k, v)
		}
		return q, nil
	}
	return url.ParseQuery(req.RawQueryString)
}

// Flag reads the boolean query parameter name (health's deep, the drift
// route's latest): 1 or true in any case is true; 0, false or an empty
// value is false; when it repeats the last wins, but every occurrence must
// be valid. Anything else, or an occurrence that does not decode, is a
// Validation *problem.Error naming the parameter, so a typo such as
// deep=yes is refused rather than read as false. Other parameters are
// ignored, undecodable or not (monitors add cache-busters such as ?t=123).
func Flag(req events.APIGatewayV2HTTPRequest, name string) (bool, error) {
	bad := problem.Invalid(name, "invalid", name+" must be 1, true, 0 or false")
	q, err := Query(req)
	if err != nil {
		// ParseQuery drops the pairs that do not decode: one of them may be ours.
		for pair := range strings.SplitSeq(req.RawQueryString, "&") {
			if _, perr := url.ParseQuery(pair); perr == nil {
				continue
			}
			k, _, _ := strings.Cut(pair, "=")
			if uk, kerr := url.QueryUnescape(k); kerr == nil && uk == name {
				return false, bad
			}
		}
	}
	on := false
	for _, v := range q[name] {
		switch strings.ToLower(v) {
		case "1", "true":
			on = true
		case "", "0", "false":
			on = false
		default:
			return false, bad
		}
	}
	return on, nil
}

// Route returns the one of routes ("METHOD /path") the request is for, or
// "". API Gateway sets routeKey; a request through a $default route (or a
// local gateway) is matched on method and path, the stage prefix ignored.
func Route(req events.APIGatewayV2HTTPRequest, routes ...string) string {
	for _, r := range routes {
		if req.RouteKey == r {
			return r
		}
	}
	method := req.RequestContext.HTTP.Method
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	for _, r := range routes {
		m, p, _ := strings.Cut(r, " ")
		if method == m && (path == p || strings.HasSuffix(path, p) && strings.Count(path, "/") == strings.Count(p, "/")+1) {
			return r
		}
	}
	return ""
}
