package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/httpapi"
)

// loggerJS is the minified browser logger (make logger writes it from
// logger/client-logger.js).
//
//go:embed logger/client-logger.min.js
var loggerJS []byte

// Cache policies of the script: immutable for a year when the request
// names the build it was built from (?v=<build>), so a page that pins the
// build never asks again; five minutes, revalidated by ETag, otherwise.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=300"
)

// ScriptType is the Content-Type of GET /client-logger.js.
const ScriptType = "application/javascript"

// Script is the browser logger as served.
type Script struct {
	Body []byte
	ETag string // a hash of Body
	// Key is the ?v= value that earns the immutable cache: the build
	// stamp. An unstamped build ("dev") never does.
	Key  string
	gzip func() []byte
}

// NewScript is the embedded logger, keyed by this build.
func NewScript() Script { return newScript(loggerJS, buildinfo.Build) }

func newScript(body []byte, key string) Script {
	sum := sha256.Sum256(body)
	return Script{
		Body: body,
		ETag: `"` + hex.EncodeToString(sum[:8]) + `"`,
		Key:  key,
		// Compressed on the first request that accepts gzip, not at cold
		// start: most invocations are batches.
		gzip: sync.OnceValue(func() []byte {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			return b.Bytes()
		}),
	}
}

// Serve answers GET /client-logger.js: the module, gzip-encoded when the
// client accepts it, or 304 when its ETag is current.
func (s Script) Serve(req events.APIGatewayV2HTTPRequest, cid string) events.APIGatewayV2HTTPResponse {
	cache := cacheShort
	if v := req.QueryStringParameters["v"]; v != "" && v == s.Key && s.Key != "dev" {
		cache = cacheImmutable
	}
	h := map[string]string{
		"Content-Type":                 ScriptType,
		"Cache-Control":                cache,
		"ETag":                         s.ETag,
		"Vary":                         "Accept-Encoding",
		"X-Content-Type-Options":       "nosniff",
		"Cross-Origin-Resource-Policy": "cross-origin",
		correlation.Header:             cid,
	}
	gzETag := s.GzipETag()
	if inm := httpapi.Header(req.Headers, "If-None-Match"); inm != "" {
		gz := etagMatch(inm, gzETag)
		if gz || etagMatch(inm, s.ETag) {
			if gz {
				h["ETag"] = gzETag
			}
			delete(h, "Content-Type")
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNotModified, Headers: h}
		}
	}
	if acceptsGzip(httpapi.Header(req.Headers, "Accept-Encoding")) {
		// Each representation its own strong ETag (RFC 9110 8.8.3).
		h["ETag"] = gzETag
		h["Content-Encoding"] = "gzip"
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: h,
			Body: base64.StdEncoding.EncodeToString(s.gzip()), IsBase64Encoded: true}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: h, Body: string(s.Body)}
}

// GzipETag is the gzip-encoded representation's ETag.
func (s Script) GzipETag() string { return strings.TrimSuffix(s.ETag, `"`) + `-gz"` }

// Gzipped is the size of the gzip-encoded module.
func (s Script) Gzipped() int { return len(s.gzip()) }

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip listed with no weight, or a
// weight above 0 (RFC 9110 12.4.2; "q" in any case).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}
