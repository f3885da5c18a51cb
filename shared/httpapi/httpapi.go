// Package httpapi is the project's HTTP vocabulary at the edge: response
// building, header lookup, body decoding and problem responses, in
// aws-lambda-go's own HTTP API payload 2.0 types.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/problem"
)

// Header returns the value of the header named name in h, matching without
// regard to case (API Gateway lower-cases HTTP API header names; other
// callers may not).
func Header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	if v, ok := h[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Body returns the request body's bytes, decoding it when API Gateway
// delivered it base64-encoded. It returns a MalformedJSON *problem.Error when
// the encoding is broken.
func Body(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, problem.New(problem.MalformedJSON, "request body is not valid base64")
	}
	return b, nil
}

// JSON returns a response with status and v encoded as JSON. The encoding of
// the project's own types cannot fail; if it ever does, the answer is a 500
// problem rather than a partial body.
func JSON(status int, v any, correlationID string) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return Problem(nil, err, correlationID)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":     "application/json",
			"Cache-Control":    "no-store",
			correlation.Header: correlationID,
		},
		Body: string(b),
	}
}

// ReadBudget bounds the storage reads of a route that only reads (the
// status page, the uptime report, the latest drift report): when DynamoDB
// stalls, the caller gets a 503 problem with Retry-After within seconds,
// not API Gateway's bare 503 after its 30 s integration timeout.
const ReadBudget = 5 * time.Second

// Problem answers err as an RFC 9457 document. Internal errors are logged to
// l (when not nil) with their detail and answered without it.
func Problem(l *slog.Logger, err error, correlationID string) events.APIGatewayV2HTTPResponse {
	doc, retryAfter := problem.From(err, correlationID)
	if l != nil {
		if doc.Status >= 500 {
			l.Error("request failed", "error", err.Error(), "status", doc.Status)
		} else {
			l.Info("request refused", "problem", string(problem.CodeOf(err)), "status", doc.Status)
		}
	}
	b, _ := json.Marshal(doc) // a Document of strings and ints always encodes.
	r := events.APIGatewayV2HTTPResponse{
		StatusCode: doc.Status,
		Headers: map[string]string{
			"Content-Type":     problem.ContentType,
			"Cache-Control":    "no-store",
			correlation.Header: correlationID,
		},
		Body: string(b),
	}
	if retryAfter > 0 {
		r.Headers["Retry-After"] = strconv.Itoa(int((retryAfter + 999_999_999) / 1_000_000_000))
	}
	return r
}

// CheckContentType accepts a Content-Type that is one of types with at
// most a UTF-8 charset parameter (RFC 8259 JSON is UTF-8; a beacon's text
// too). It returns an UnsupportedMedia *problem.Error otherwise.
func CheckContentType(v string, types ...string) error {
	mt, params, err := mime.ParseMediaType(v)
	ok := err == nil && slices.Contains(types, mt)
	for k, p := range params {
		ok = ok && k == "charset" && strings.EqualFold(p, "utf-8")
	}
	if !ok {
		return problem.New(problem.UnsupportedMedia, "Content-Type must be "+strings.Join(types, " or ")+", with at most charset=utf-8")
	}
	return nil
}

// RequestText returns the body of req after checking its Content-Type
// (CheckContentType) and its size: more than limit bytes is refused
// before decoding, base64 counted at its 4/3. The body is the event's own
// string, not a copy, unless it is base64. It returns the UnsupportedMedia,
// TooLarge or MalformedJSON (broken base64) *problem.Error.
func RequestText(req events.APIGatewayV2HTTPRequest, limit int, types ...string) (string, error) {
	if err := checkRequest(req, limit, types); err != nil {
		return "", err
	}
	if !req.IsBase64Encoded {
		return req.Body, nil
	}
	b, err := Body(req.Body, true)
	return string(b), err
}

func checkRequest(req events.APIGatewayV2HTTPRequest, limit int, types []string) error {
	if err := CheckContentType(Header(req.Headers, "Content-Type"), types...); err != nil {
		return err
	}
	max := limit
	if req.IsBase64Encoded {
		max = base64.StdEncoding.EncodedLen(limit)
	}
	if len(req.Body) > max {
		return problem.Newf(problem.TooLarge, "request body exceeds %d bytes", limit)
	}
	return nil
}
