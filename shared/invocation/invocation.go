// Package invocation tells apart the kinds of event a Lambda entry point
// taking json.RawMessage receives: the keepalive's warm-up, an HTTP API
// payload 2.0 request, or anything else (a scheduled event, a stream batch)
// that the function decodes itself. Entry.Begin is the one way every
// function's entry point starts: cold start (and its ColdStart metric),
// request id, warm-up answer, and the event decoded once into the
// function's own type. The package never imports Lambda event types.
package invocation

import (
	"encoding/json"
	"errors"

	"github.com/levqor/serverless/shared/warmup"
)

// Kind is what an invocation carries.
type Kind int

// The kinds.
const (
	Other  Kind = iota // not a warm-up or an HTTP request: the function decides
	Warmup             // {"levqor_warmup":true}: answer at once, touch nothing
	HTTP               // has routeKey or requestContext: an HTTP API request
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case Warmup:
		return "warm-up"
	case HTTP:
		return "http"
	}
	return "other"
}

// Classify returns raw's kind. It returns the decoding error when raw is
// not a JSON value; any JSON that is not an object is Other.
func Classify(raw []byte) (Kind, error) {
	if warmup.Is(raw) {
		return Warmup, nil
	}
	var shape struct {
		RouteKey       string          `json:"routeKey"`
		RequestContext json.RawMessage `json:"requestContext"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			// Valid JSON of another shape (a list, a numeric routeKey):
			// not an HTTP API request.
			return Other, nil
		}
		return Other, err
	}
	if shape.RouteKey != "" || len(shape.RequestContext) > 0 {
		return HTTP, nil
	}
	return Other, nil
}
