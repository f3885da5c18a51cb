package invoke

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/levqor/serverless/infra/contract"
)

// exchange turns an events/*.json HTTP API request and the function's
// answer into a contract.Exchange (the route key's path: the stage prefix
// is API Gateway's). It reports false for an event that is not an HTTP
// request.
func exchange(event, answer []byte) (contract.Exchange, bool) {
	var req struct {
		RouteKey        string            `json:"routeKey"`
		RawQueryString  string            `json:"rawQueryString"`
		Headers         map[string]string `json:"headers"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	var resp struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if json.Unmarshal(event, &req) != nil || json.Unmarshal(answer, &resp) != nil {
		return contract.Exchange{}, false
	}
	method, path, ok := strings.Cut(req.RouteKey, " ")
	if !ok {
		return contract.Exchange{}, false
	}
	x := contract.Exchange{Method: method, Path: path, Query: req.RawQueryString, Header: http.Header{},
		Body: decodeBody(req.Body, req.IsBase64Encoded, ""), Status: resp.StatusCode, RespHeader: http.Header{}}
	for k, v := range req.Headers {
		x.Header.Set(k, v)
	}
	for k, v := range resp.Headers {
		x.RespHeader.Set(k, v)
	}
	x.RespBody = decodeBody(resp.Body, resp.IsBase64Encoded, x.RespHeader.Get("Content-Encoding"))
	return x, true
}

func decodeBody(body string, b64 bool, encoding string) []byte {
	b := []byte(body)
	if b64 {
		b, _ = base64.StdEncoding.DecodeString(body)
	}
	if encoding == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			b, _ = io.ReadAll(zr)
		}
	}
	return b
}
