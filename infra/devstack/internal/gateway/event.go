package gateway

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/awsid"
)

// requestTimeLayout is API Gateway's requestContext.time format (CLF).
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// buildEvent turns r (whose body was already read) into the payload 2.0 event
// for the route key, the way API Gateway does: lower-cased header names with
// repeated values joined by commas, cookies moved out of the headers, repeated
// query parameters joined by commas, and the body base64-encoded unless its
// content type is text. It is aws-lambda-go's own events.APIGatewayV2HTTPRequest, the type the
// functions decode.
func (g *Gateway) buildEvent(r *http.Request, body []byte, key, requestID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lname] = strings.Join(values, ",")
	}
	host := r.Host
	headers["host"] = host
	headers["content-length"] = strconv.Itoa(len(body))
	sourceIP := clientIP(r)
	if prior := headers["x-forwarded-for"]; prior != "" {
		headers["x-forwarded-for"] = prior + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	_, port, _ := net.SplitHostPort(g.listenHost(r))
	headers["x-forwarded-port"] = port
	headers["x-forwarded-proto"] = "http"
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = awsid.TraceRoot(now)
	}

	var query map[string]string
	if values, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(values) > 0 {
		query = map[string]string{}
		for k, vs := range values {
			query[k] = strings.Join(vs, ",")
		}
	}

	// API Gateway's domainName has no port because it serves on 443. The
	// local API is on another port, so the domain name keeps it: functions
	// that build their own URL from domainName and x-forwarded-proto (the
	// keepalive's default target, the drift scan's health check) then reach
	// this gateway. domainPrefix is still the first label of the host.
	domain := host
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID:    g.AccountID,
			APIID:        g.APIID,
			DomainName:   domain,
			DomainPrefix: strings.SplitN(hostOnly(host), ".", 2)[0],
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: requestID,
			RouteKey:  key,
			Stage:     "$default",
			Time:      now.UTC().Format(requestTimeLayout),
			TimeEpoch: now.UnixMilli(),
		},
	}
	if len(body) > 0 {
		// A text body that is not valid UTF-8 cannot travel in a JSON string
		// unchanged (encoding/json would replace the bad bytes), so it goes
		// base64-encoded: the function sees exactly the bytes that were sent.
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this content type as
// text; anything else (including no content type, and form posts) arrives
// base64-encoded with isBase64Encoded true.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript",
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// listenHost is the local address the request arrived on (host:port).
func (g *Gateway) listenHost(r *http.Request) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return addr.String()
	}
	return r.Host
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
