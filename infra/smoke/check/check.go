// Package check holds the seed's verification commands as Go checks, each
// comparing an answer with the seed's and SPEC's expected output word for
// word where they fix it. `make smoke` (infra/smoke) runs them against any
// stack; the end-to-end test (infra/e2e) runs them against the local one.
package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// Answer is one HTTP exchange, kept for messages.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request and reads the whole answer. It returns the transport
// error, if any.
func Do(client *http.Client, method, url, contentType string, body []byte, header map[string]string) (*Answer, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the body: %w", method, url, err)
	}
	return &Answer{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Seed values the checks compare with.
const (
	// SeedTicket is the seed's ticket request body.
	SeedTicket = `{"subject":"Test","body":"Test ticket","tier":"growth"}`
	// SeedMessage is the seed's message for a growth ticket.
	SeedMessage = "Ticket created successfully. Expected response within 12 business hours."
)

var (
	ticketID = regexp.MustCompile(`^TKT-[0-9A-Z]{8}$`)
	semver   = regexp.MustCompile(`^\d+\.\d+\.\d+`)
)

// Health checks GET /health: 200, application/json, exactly the seed's
// fields with status "ok", a version, a build, a timestamp near now and a
// non-negative uptime, and an X-Correlation-ID header. It returns the
// decoded body, or an error saying what differs.
func Health(client *http.Client, baseURL string) (map[string]any, error) {
	a, err := Do(client, http.MethodGet, baseURL+"/health", "", nil, nil)
	if err != nil {
		return nil, err
	}
	doc, err := jsonAnswer(a, http.StatusOK, "application/json")
	if err != nil {
		return nil, fmt.Errorf("GET /health: %w", err)
	}
	var problems []string
	if err := exactKeys(doc, "status", "version", "build", "timestamp", "uptime_seconds"); err != nil {
		problems = append(problems, err.Error())
	}
	if doc["status"] != "ok" {
		problems = append(problems, fmt.Sprintf(`status is %v, want "ok"`, doc["status"]))
	}
	if v, _ := doc["version"].(string); !semver.MatchString(v) {
		problems = append(problems, fmt.Sprintf("version %v is not a version number like 1.0.0", doc["version"]))
	}
	if b, _ := doc["build"].(string); b == "" {
		problems = append(problems, fmt.Sprintf(`build %v: want the short commit or "dev"`, doc["build"]))
	}
	if ts, ok := wholeNumber(doc["timestamp"]); !ok || time.Since(time.Unix(ts, 0)).Abs() > 10*time.Minute {
		problems = append(problems, fmt.Sprintf("timestamp %v is not Unix seconds near now", doc["timestamp"]))
	}
	if up, ok := wholeNumber(doc["uptime_seconds"]); !ok || up < 0 {
		problems = append(problems, fmt.Sprintf("uptime_seconds %v is not a whole number of seconds", doc["uptime_seconds"]))
	}
	if a.Header.Get("X-Correlation-ID") == "" {
		problems = append(problems, "no X-Correlation-ID header")
	}
	if len(problems) > 0 {
		return doc, fmt.Errorf("GET /health: %s; body: %s", strings.Join(problems, "; "), a.Body)
	}
	return doc, nil
}

// Ticket checks the seed's POST /api/support/tickets: 201, application/json,
// status "received", ticket_id TKT- and 8 characters, a correlation id equal
// to the X-Correlation-ID header, sla_hours 12 and the seed's message word
// for word. It returns the decoded body, or an error saying what differs.
func Ticket(client *http.Client, baseURL string) (map[string]any, error) {
	a, err := Do(client, http.MethodPost, baseURL+"/api/support/tickets", "application/json", []byte(SeedTicket), nil)
	if err != nil {
		return nil, err
	}
	doc, err := jsonAnswer(a, http.StatusCreated, "application/json")
	if err != nil {
		return nil, fmt.Errorf("POST /api/support/tickets: %w", err)
	}
	var problems []string
	if doc["status"] != "received" {
		problems = append(problems, fmt.Sprintf(`status is %v, want "received"`, doc["status"]))
	}
	if id, _ := doc["ticket_id"].(string); !ticketID.MatchString(id) {
		problems = append(problems, fmt.Sprintf("ticket_id %v is not TKT- and 8 characters", doc["ticket_id"]))
	}
	cid, _ := doc["correlation_id"].(string)
	if cid == "" {
		problems = append(problems, "correlation_id is missing")
	} else if h := a.Header.Get("X-Correlation-ID"); h != cid {
		problems = append(problems, fmt.Sprintf("X-Correlation-ID header %q differs from correlation_id %q", h, cid))
	}
	if n, ok := wholeNumber(doc["sla_hours"]); !ok || n != 12 {
		problems = append(problems, fmt.Sprintf("sla_hours is %v, want 12", doc["sla_hours"]))
	}
	if doc["message"] != SeedMessage {
		problems = append(problems, fmt.Sprintf("message is %q, want %q", doc["message"], SeedMessage))
	}
	if len(problems) > 0 {
		return doc, fmt.Errorf("POST /api/support/tickets: %s; body: %s", strings.Join(problems, "; "), a.Body)
	}
	return doc, nil
}

// Problem checks that a is an RFC 9457 problem document with the wanted
// status: application/problem+json with type, title, status equal to the
// HTTP status, and a correlation id. It returns the decoded document or an
// error saying what differs.
func Problem(a *Answer, wantStatus int) (map[string]any, error) {
	doc, err := jsonAnswer(a, wantStatus, "application/problem+json")
	if err != nil {
		return doc, err
	}
	var problems []string
	if t, _ := doc["type"].(string); t == "" {
		problems = append(problems, "type is missing")
	}
	if t, _ := doc["title"].(string); t == "" {
		problems = append(problems, "title is missing")
	}
	if n, ok := wholeNumber(doc["status"]); !ok || n != int64(wantStatus) {
		problems = append(problems, fmt.Sprintf("status member is %v, want %d", doc["status"], wantStatus))
	}
	if c, _ := doc["correlation_id"].(string); c == "" {
		problems = append(problems, "correlation_id is missing")
	}
	if len(problems) > 0 {
		return doc, fmt.Errorf("%s; body: %s", strings.Join(problems, "; "), a.Body)
	}
	return doc, nil
}

// BadTicket checks the SPEC's bad-request answer: a ticket without a subject
// is refused with a 400 problem document.
func BadTicket(client *http.Client, baseURL string) (map[string]any, error) {
	a, err := Do(client, http.MethodPost, baseURL+"/api/support/tickets", "application/json", []byte(`{"body":"Test ticket","tier":"growth"}`), nil)
	if err != nil {
		return nil, err
	}
	doc, err := Problem(a, http.StatusBadRequest)
	if err != nil {
		return doc, fmt.Errorf("POST /api/support/tickets without a subject: %w", err)
	}
	return doc, nil
}

// jsonAnswer checks status and media type and decodes a JSON object body.
func jsonAnswer(a *Answer, wantStatus int, wantType string) (map[string]any, error) {
	var doc map[string]any
	decodeErr := json.Unmarshal(a.Body, &doc)
	if a.Status != wantStatus {
		return doc, fmt.Errorf("status %d, want %d; body: %s", a.Status, wantStatus, a.Body)
	}
	mt, _, _ := mime.ParseMediaType(a.Header.Get("Content-Type"))
	if mt != wantType {
		return doc, fmt.Errorf("Content-Type %q, want %s; body: %s", a.Header.Get("Content-Type"), wantType, a.Body)
	}
	if decodeErr != nil || doc == nil {
		return nil, fmt.Errorf("body is not a JSON object: %s", a.Body)
	}
	return doc, nil
}

func exactKeys(doc map[string]any, keys ...string) error {
	var missing, extra []string
	for _, k := range keys {
		if _, ok := doc[k]; !ok {
			missing = append(missing, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra) == 0 {
		return nil
	}
	return fmt.Errorf("fields differ from the seed's (missing %v, unexpected %v)", missing, extra)
}

func wholeNumber(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// ClientLogger checks the seed's "Frontend client logger loads without
// errors": GET /client-logger.js answers 200 application/javascript with
// an ETag and a cache policy, and its body is an ES module that parses
// (parseModule); and POST /api/client-logs takes an
// empty batch as a page's logger sends it (text/plain, 202). It returns
// what it saw, or an error saying what differs.
func ClientLogger(client *http.Client, baseURL string) (map[string]any, error) {
	a, err := Do(client, http.MethodGet, baseURL+"/client-logger.js", "", nil, nil)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(a.Header.Get("Content-Type"))
	switch {
	case a.Status != http.StatusOK:
		return nil, fmt.Errorf("GET /client-logger.js: status %d, want 200; body: %.200s", a.Status, a.Body)
	case mt != "application/javascript" && mt != "text/javascript":
		return nil, fmt.Errorf("GET /client-logger.js: Content-Type %q, want application/javascript", a.Header.Get("Content-Type"))
	case a.Header.Get("ETag") == "" || a.Header.Get("Cache-Control") == "":
		return nil, fmt.Errorf("GET /client-logger.js: no ETag or Cache-Control (%v)", a.Header)
	case !bytes.Contains(a.Body, []byte("export")):
		return nil, fmt.Errorf("GET /client-logger.js: the body (%d bytes) is not an ES module", len(a.Body))
	}
	parsed, err := parseModule(a.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /client-logger.js does not parse: %w", err)
	}
	b, err := Do(client, http.MethodPost, baseURL+"/api/client-logs", "text/plain;charset=UTF-8", []byte(`{"records":[]}`), nil)
	if err != nil {
		return nil, err
	}
	doc, err := jsonAnswer(b, http.StatusAccepted, "application/json")
	if err != nil {
		return doc, fmt.Errorf("POST /api/client-logs (an empty batch): %w", err)
	}
	return map[string]any{"script_bytes": len(a.Body), "parsed": parsed, "cache_control": a.Header.Get("Cache-Control"), "ingest": doc}, nil
}

// parseModule parses src as an ES module with esbuild, the tool that
// minifies it (infra/jsmin), so the check needs no JavaScript runtime. It
// returns esbuild's messages when src does not parse.
func parseModule(src []byte) (string, error) {
	r := api.Transform(string(src), api.TransformOptions{Loader: api.LoaderJS, Format: api.FormatESModule})
	if len(r.Errors) > 0 {
		msgs := api.FormatMessages(r.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return "", errors.New(strings.TrimSpace(strings.Join(msgs, "")))
	}
	return "esbuild", nil
}

// StatusPage checks the public status page: GET /status answers 200 HTML
// and GET /status.json the same data, both publicly cacheable, the JSON
// with an overall state and 90 daily bars per target. It returns the
// JSON, or an error saying what differs.
func StatusPage(client *http.Client, baseURL string) (map[string]any, error) {
	a, err := Do(client, http.MethodGet, baseURL+"/status", "", nil, nil)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(a.Header.Get("Content-Type"))
	switch {
	case a.Status != http.StatusOK || mt != "text/html":
		return nil, fmt.Errorf("GET /status: %d %q, want 200 text/html; body: %.200s", a.Status, a.Header.Get("Content-Type"), a.Body)
	case !strings.Contains(a.Header.Get("Cache-Control"), "public"):
		return nil, fmt.Errorf("GET /status: Cache-Control %q is not public", a.Header.Get("Cache-Control"))
	case !bytes.Contains(a.Body, []byte("<html")):
		return nil, fmt.Errorf("GET /status: the body is not an HTML page: %.200s", a.Body)
	}
	j, err := Do(client, http.MethodGet, baseURL+"/status.json", "", nil, nil)
	if err != nil {
		return nil, err
	}
	doc, err := jsonAnswer(j, http.StatusOK, "application/json")
	if err != nil {
		return doc, fmt.Errorf("GET /status.json: %w", err)
	}
	switch doc["overall"] {
	case "operational", "degraded", "outage", "unknown":
	default:
		return doc, fmt.Errorf("GET /status.json: overall is %v", doc["overall"])
	}
	targets, ok := doc["targets"].([]any)
	if !ok {
		return doc, fmt.Errorf("GET /status.json: no targets list")
	}
	for _, t := range targets {
		m, _ := t.(map[string]any)
		if days, _ := m["days"].([]any); len(days) != 90 {
			return doc, fmt.Errorf("GET /status.json: target %v has %d daily bars, want 90", m["name"], len(days))
		}
	}
	return map[string]any{"overall": doc["overall"], "targets": len(targets), "html_bytes": len(a.Body)}, nil
}

// OpenAPI checks GET /openapi.json: 200 JSON, an OpenAPI 3.1 document
// naming the seed's routes. It returns the document's info, or an error
// saying what differs.
func OpenAPI(client *http.Client, baseURL string) (map[string]any, error) {
	a, err := Do(client, http.MethodGet, baseURL+"/openapi.json", "", nil, nil)
	if err != nil {
		return nil, err
	}
	doc, err := jsonAnswer(a, http.StatusOK, "application/json")
	if err != nil {
		return doc, fmt.Errorf("GET /openapi.json: %w", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("GET /openapi.json: openapi is %q, want 3.1.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range []string{"/health", "/api/support/tickets", "/status"} {
		if _, ok := paths[p]; !ok {
			return nil, fmt.Errorf("GET /openapi.json: no path %s", p)
		}
	}
	info, _ := doc["info"].(map[string]any)
	return map[string]any{"openapi": doc["openapi"], "version": info["version"], "paths": len(paths)}, nil
}
