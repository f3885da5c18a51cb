// Package gateway is a local stand-in for an API Gateway HTTP API with Lambda
// proxy integrations (payload format 2.0): it serves the template's routes
// (a method and a literal path each), builds the 2.0 event, invokes the function and translates its answer
// back, and answers API Gateway's own errors with API Gateway's bodies
// ({"message":"Not Found"}, {"message":"Internal Server Error"}, ...).
//
// It does not check AWS_IAM authorization (neither does `sam local
// start-api`); Unauthenticated lists the routes that would need it.
package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Limits of an HTTP API and of a synchronous Lambda invocation.
const (
	// MaxBody is the HTTP API payload size quota (10 MB).
	MaxBody = 10 * 1024 * 1024
	// MaxEvent is Lambda's synchronous invocation payload limit (6 MB).
	MaxEvent = 6 * 1024 * 1024
	// IntegrationTimeout is the HTTP API's maximum integration timeout.
	IntegrationTimeout = 30 * time.Second
	// ReadTimeout bounds reading a whole request, body included: a client
	// that never finishes its body is cut off, not waited on for ever.
	ReadTimeout = 30 * time.Second
	// IdleTimeout closes a keep-alive connection left unused.
	IdleTimeout = 60 * time.Second
)

// Invoker runs a function once on a payload. The result is the function's
// response payload, or, when errType is set, a function error (handled,
// crash or timeout), which API Gateway answers with a 500.
type Invoker interface {
	Invoke(ctx context.Context, event []byte) (payload []byte, errType string, err error)
}

// Route is one route of the API: Method ("GET", "POST", ...) and a literal
// Path served by Function. HTTP APIs also take ANY, {param} and {proxy+};
// the template uses none of them, and New refuses them rather than
// emulating them.
type Route struct {
	Method   string
	Path     string
	Auth     string // "AWS_IAM" or ""
	Name     string // the function's name, for logs
	Function Invoker
}

// Gateway is an http.Handler serving the routes.
type Gateway struct {
	APIID     string // requestContext.apiId (default "local")
	AccountID string // requestContext.accountId
	// Log receives one access line per request (nil: none).
	Log func(format string, args ...any)
	// Timeout overrides IntegrationTimeout (tests).
	Timeout time.Duration
	// CORS is the API's CorsConfiguration (nil: none).
	CORS *CORS

	routes map[string]Route // by route key, "POST /api/support/tickets"
}

// New returns a Gateway for routes. It returns an error when two routes have
// the same key, a route's method or path is malformed, or it uses ANY or a
// path parameter, which the local gateway does not emulate.
func New(routes []Route) (*Gateway, error) {
	g := &Gateway{APIID: "local", AccountID: "000000000000", routes: map[string]Route{}}
	for _, r := range routes {
		r.Method = strings.ToUpper(r.Method)
		key := r.Method + " " + r.Path
		switch {
		case r.Method == "" || !strings.HasPrefix(r.Path, "/") || r.Function == nil:
			return nil, fmt.Errorf("gateway: route %q %q: method, path starting with / and function are required", r.Method, r.Path)
		case r.Method == "ANY" || strings.Contains(r.Path, "{"):
			return nil, fmt.Errorf("gateway: route %s: ANY and path parameters ({param}, {proxy+}) are not emulated locally (the template's routes are a method and a literal path); deploy to run it", key)
		}
		if _, dup := g.routes[key]; dup {
			return nil, fmt.Errorf("gateway: duplicate route %s", key)
		}
		g.routes[key] = r
	}
	return g, nil
}

// keys returns the route keys, sorted.
func (g *Gateway) keys() []string { return slices.Sorted(maps.Keys(g.routes)) }

// Unauthenticated returns the route keys whose AWS_IAM authorization the
// local gateway does not check.
func (g *Gateway) Unauthenticated() []string {
	var keys []string
	for _, k := range g.keys() {
		if auth := g.routes[k].Auth; auth != "" {
			keys = append(keys, k+" ("+auth+")")
		}
	}
	return keys
}

// Routes returns the route keys served.
func (g *Gateway) Routes() []string {
	var keys []string
	for _, k := range g.keys() {
		keys = append(keys, k+" -> "+g.routes[k].Name)
	}
	return keys
}

// ServeHTTP answers one request as API Gateway would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	requestID := newRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	status, fn := g.serve(w, r, requestID, now)
	if g.Log != nil {
		// The path only: a query string can carry a token.
		g.Log("%s %s %d %s %dms", r.Method, r.URL.EscapedPath(), status, fn, time.Since(now).Milliseconds())
	}
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, requestID string, now time.Time) (int, string) {
	key := r.Method + " " + r.URL.Path
	rt, ok := g.routes[key]
	if g.CORS != nil && isPreflight(r) && !ok {
		return g.CORS.preflight(w, r), "CORS preflight"
	}
	if !ok {
		return apiError(w, http.StatusNotFound, "Not Found"), "-"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return apiError(w, http.StatusBadRequest, "Bad Request"), rt.Name
	}
	if len(body) > MaxBody {
		return apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), rt.Name
	}
	event, err := json.Marshal(g.buildEvent(r, body, key, requestID, now))
	if err != nil {
		return apiError(w, http.StatusInternalServerError, "Internal Server Error"), rt.Name
	}
	if len(event) > MaxEvent {
		return apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), rt.Name
	}

	type answer struct {
		payload []byte
		errType string
		err     error
	}
	done := make(chan answer, 1)
	go func() {
		p, t, err := rt.Function.Invoke(context.WithoutCancel(r.Context()), event)
		done <- answer{p, t, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-time.After(cmp.Or(g.Timeout, IntegrationTimeout)):
		// The function goes on running, as in AWS; the client gets 503.
		return apiError(w, http.StatusServiceUnavailable, "Service Unavailable"), rt.Name
	}
	if a.err != nil || a.errType != "" {
		return apiError(w, http.StatusInternalServerError, "Internal Server Error"), rt.Name
	}
	resp, err := translate(a.payload)
	if err != nil {
		return apiError(w, http.StatusInternalServerError, "Internal Server Error"), rt.Name + " (" + err.Error() + ")"
	}
	if g.CORS != nil {
		g.CORS.decorate(resp.headers, r.Header.Get("Origin"))
	}
	return resp.write(w), rt.Name
}

// response is the function's answer as API Gateway will send it.
type response struct {
	status  int
	headers http.Header
	body    []byte
}

func (resp *response) write(w http.ResponseWriter) int {
	h := w.Header()
	for k, vs := range resp.headers {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // no sniffing: API Gateway adds no type
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
	return resp.status
}

// translate reads a Lambda payload 2.0 response. A JSON object with a
// statusCode is a structured response (statusCode, headers,
// multiValueHeaders, cookies, body, isBase64Encoded); anything else is, as
// API Gateway infers, a 200 application/json response whose body is the
// payload itself. A structured response of the wrong shape is an error.
func translate(payload []byte) (*response, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(payload, &probe); err != nil || probe["statusCode"] == nil {
		if !json.Valid(payload) {
			return nil, errors.New("function response is not JSON")
		}
		return &response{
			status:  http.StatusOK,
			headers: http.Header{"Content-Type": {"application/json"}},
			body:    payload,
		}, nil
	}
	var out events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &out); err != nil {
		return nil, fmt.Errorf("malformed Lambda proxy response: %v", err)
	}
	if out.StatusCode < 100 || out.StatusCode > 599 {
		return nil, fmt.Errorf("malformed Lambda proxy response: statusCode %d", out.StatusCode)
	}
	resp := &response{status: out.StatusCode, headers: http.Header{}, body: []byte(out.Body)}
	for k, vs := range out.MultiValueHeaders {
		for _, v := range vs {
			resp.headers.Add(k, v)
		}
	}
	for k, v := range out.Headers {
		resp.headers.Set(k, v)
	}
	for _, c := range out.Cookies {
		resp.headers.Add("Set-Cookie", c)
	}
	if out.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(out.Body)
		if err != nil {
			return nil, fmt.Errorf("malformed Lambda proxy response: body is not base64: %v", err)
		}
		resp.body = b
	}
	return resp, nil
}

// apiError writes one of API Gateway's own error responses.
func apiError(w http.ResponseWriter, status int, message string) int {
	body, _ := json.Marshal(map[string]string{"message": message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// newRequestID returns an id shaped like API Gateway's ("LV7fzho-PHcEJPw=").
func newRequestID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}
