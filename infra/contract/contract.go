// Package contract checks the API against its OpenAPI document
// (shared/apidoc) with kin-openapi: a request and its answer (status,
// content type, headers, body), and template.yaml's routes against the
// document's operations. The end-to-end suite checks every exchange it
// makes; the runtime test checks every events/*.json answer.
package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/levqor/serverless/shared/apidoc"
)

func init() {
	// The two non-JSON documents the API serves are text to the checker.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/javascript", openapi3filter.PlainBodyDecoder)
}

// Contract is the loaded, validated document.
type Contract struct{ doc *openapi3.T }

// Load parses and validates apidoc.Document as OpenAPI 3.1 (JSON Schema
// 2020-12). It returns the parser's or the validator's error.
func Load() (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(apidoc.Document))
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("contract: the document is OpenAPI %s, not 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: invalid document: %w", err)
	}
	return &Contract{doc: doc}, nil
}

// Doc is the parsed document.
func (c *Contract) Doc() *openapi3.T { return c.doc }

// Operations are the document's operations as "METHOD /path", sorted.
func (c *Contract) Operations() []string {
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// Exchange is one request and its answer. Path is the route's path, the
// stage prefix left out.
type Exchange struct {
	Method, Path string
	Query        string
	Header       http.Header
	Body         []byte
	Status       int
	RespHeader   http.Header
	RespBody     []byte
}

// ErrNoRoute is returned for an exchange whose path and method the
// document does not have.
var ErrNoRoute = fmt.Errorf("contract: not a documented operation")

// Check validates x: the answer always (its status must be documented),
// the request only when it was accepted (status below 400: a refused
// request is refused because it breaks the contract). It returns
// ErrNoRoute, or kin-openapi's errors.
func (c *Contract) Check(x Exchange) error {
	item := c.doc.Paths.Find(x.Path)
	if item == nil || item.GetOperation(x.Method) == nil {
		return fmt.Errorf("%w: %s %s", ErrNoRoute, x.Method, x.Path)
	}
	req, err := http.NewRequest(x.Method, "http://api.local"+x.Path, bytes.NewReader(x.Body))
	if err != nil {
		return err
	}
	req.URL.RawQuery = x.Query
	req.Header = x.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc, // API Gateway's work
		IncludeResponseStatus:   true,
		MultiError:              true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()},
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   &routers.Route{Spec: c.doc, Path: x.Path, PathItem: item, Method: x.Method, Operation: item.GetOperation(x.Method)},
		Options: opts,
	}
	var errs []string
	if x.Status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			errs = append(errs, "request: "+err.Error())
		}
		req.Body = io.NopCloser(bytes.NewReader(x.Body))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.Status, Header: x.RespHeader, Options: opts}
	out.SetBodyBytes(x.RespBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		errs = append(errs, fmt.Sprintf("response %d: %v", x.Status, err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s %s: %s", x.Method, x.Path, strings.Join(errs, "; "))
	}
	return nil
}

// Recorder is an http.RoundTripper that keeps every exchange it carries,
// for Check: the end-to-end suite's client records through it.
type Recorder struct {
	Next http.RoundTripper // nil means http.DefaultTransport
	// Base is the API's base URL path (a stage, say), left out of Path.
	Base string

	mu        sync.Mutex
	exchanges []Exchange
}

// RoundTrip sends req through Next and records it and its answer (the
// bodies read whole). It returns Next's error.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	r.mu.Lock()
	r.exchanges = append(r.exchanges, Exchange{
		Method: req.Method, Path: strings.TrimPrefix(req.URL.Path, r.Base), Query: req.URL.RawQuery,
		Header: req.Header.Clone(), Body: body, Status: resp.StatusCode, RespHeader: resp.Header.Clone(), RespBody: respBody,
	})
	r.mu.Unlock()
	return resp, nil
}

// Exchanges are the recorded exchanges, in order.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.exchanges)
}
