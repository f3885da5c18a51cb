// Package locallambda is a local stand-in for the AWS Lambda API (restJson1,
// /2015-03-31/functions/...) in front of the local functions, so that the
// functions' own aws-sdk-go-v2 lambda clients work unchanged through
// AWS_ENDPOINT_URL_LAMBDA, as they call it: Invoke, RequestResponse, by name
// with an optional qualifier — the keepalive's warm-ups and the drift scan's
// introspection — and GetFunctionConfiguration — the drift scan's function
// checks. Event and DryRun invocations and ARNs, which those calls never
// use, are answered with an error saying they are not emulated.
package locallambda

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Invoker runs the function once; errType is set for a function error.
type Invoker interface {
	Invoke(ctx context.Context, event []byte) (payload []byte, errType string, err error)
}

// Function is one function the API knows.
type Function struct {
	Name          string
	ARN           string
	Runtime       string
	Handler       string
	Architectures []string
	MemorySize    int
	Timeout       int // seconds
	Env           map[string]string
	// Alias is the qualifier accepted besides $LATEST (the template's
	// AutoPublishAlias, "" for none); locally it runs the one local version.
	Alias   string
	Invoker Invoker
}

// maxPayload is Lambda's synchronous invocation payload limit (6 MB).
const maxPayload = 6 * 1024 * 1024

// API serves the Lambda API for a set of functions; it is an http.Handler.
type API struct {
	functions map[string]*Function
	mux       *http.ServeMux
}

// New returns an API serving functions by name.
func New(functions []*Function) *API {
	a := &API{functions: map[string]*Function{}, mux: http.NewServeMux()}
	for _, f := range functions {
		a.functions[f.Name] = f
	}
	a.mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", a.invoke)
	a.mux.HandleFunc("GET /2015-03-31/functions/{name}/configuration", a.configuration)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "the local Lambda API does not serve "+r.Method+" "+r.URL.Path)
	})
	return a
}

// ServeHTTP answers one Lambda API call.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// lookup resolves a function name with an optional qualifier (":live",
// "?Qualifier="), the forms the template's functions call.
func (a *API) lookup(w http.ResponseWriter, r *http.Request) (*Function, bool) {
	ref := r.PathValue("name")
	if strings.Contains(ref, "function:") {
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "function ARNs are not emulated locally (the template's functions call each other by name): use the name in "+ref)
		return nil, false
	}
	name, qualifier, _ := strings.Cut(ref, ":")
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	f, ok := a.functions[name]
	if !ok || !f.accepts(qualifier) {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+ref)
		return nil, false
	}
	return f, true
}

// accepts reports whether qualifier names the function's one local version.
func (f *Function) accepts(qualifier string) bool {
	return qualifier == "" || qualifier == "$LATEST" || qualifier == f.Alias
}

func (a *API) invoke(w http.ResponseWriter, r *http.Request) {
	f, ok := a.lookup(w, r)
	if !ok {
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	if len(payload) > maxPayload {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	if typ := r.Header.Get("X-Amz-Invocation-Type"); typ != "" && typ != "RequestResponse" {
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "X-Amz-Invocation-Type "+typ+" is not emulated locally (the template's functions invoke RequestResponse only)")
		return
	}
	resp, errType, err := f.Invoker.Invoke(r.Context(), payload)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if errType != "" {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
	}
	_, _ = w.Write(resp)
}

func (a *API) configuration(w http.ResponseWriter, r *http.Request) {
	f, ok := a.lookup(w, r)
	if !ok {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"FunctionName":     f.Name,
		"FunctionArn":      f.ARN,
		"Runtime":          f.Runtime,
		"Handler":          f.Handler,
		"Architectures":    f.Architectures,
		"MemorySize":       f.MemorySize,
		"Timeout":          f.Timeout,
		"Description":      "",
		"Version":          "$LATEST",
		"State":            "Active",
		"LastUpdateStatus": "Successful",
		"PackageType":      "Zip",
		"Environment":      map[string]any{"Variables": f.Env},
	})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// apiError writes a restJson1 error the SDK maps to its typed errors.
func apiError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(map[string]string{"Type": "User", "message": message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s", body)
}
