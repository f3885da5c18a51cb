package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeAPI answers like a correct stack, except for what a test overrides.
type fakeAPI struct {
	health, ticket, bad string
	healthType          string
	ticketStatus        int
	badStatus           int
	badType             string
	cidHeader           string
	script, scriptType  string
	logsStatus          int
	statusJSON          string
	openapi             string
}

func goodAPI() fakeAPI {
	return fakeAPI{
		health:       fmt.Sprintf(`{"status":"ok","version":"1.0.0","build":"dev","timestamp":%d,"uptime_seconds":12}`, time.Now().Unix()),
		healthType:   "application/json",
		ticket:       `{"status":"received","ticket_id":"TKT-7K3M9QXA","correlation_id":"c-1","sla_hours":12,"message":"Ticket created successfully. Expected response within 12 business hours.","priority":"high"}`,
		ticketStatus: 201,
		bad:          `{"type":"https://levqor.ai/problems/validation-error","title":"Invalid request","status":400,"detail":"subject is required","correlation_id":"c-2"}`,
		badStatus:    400,
		badType:      "application/problem+json",
		cidHeader:    "c-1",
		script:       `const e=1;export{e as init};`,
		scriptType:   "application/javascript",
		logsStatus:   202,
		openapi:      `{"openapi":"3.1.0","info":{"version":"1.0.0"},"paths":{"/health":{},"/api/support/tickets":{},"/status":{}}}`,
		statusJSON:   `{"overall":"operational","targets":[{"name":"Levqor API","days":[` + strings.TrimSuffix(strings.Repeat(`{"level":"met"},`, 90), ",") + `]}]}`,
	}
}

func (f fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == "GET" && r.URL.Path == "/health":
		w.Header().Set("Content-Type", f.healthType)
		w.Header().Set("X-Correlation-ID", "h-1")
		_, _ = io.WriteString(w, f.health)
	case r.Method == "POST" && r.URL.Path == "/api/support/tickets" && strings.Contains(string(body), `"subject"`):
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Correlation-ID", f.cidHeader)
		w.WriteHeader(f.ticketStatus)
		_, _ = io.WriteString(w, f.ticket)
	case r.Method == "POST" && r.URL.Path == "/api/support/tickets":
		w.Header().Set("Content-Type", f.badType)
		w.WriteHeader(f.badStatus)
		_, _ = io.WriteString(w, f.bad)
	case r.Method == "GET" && r.URL.Path == "/client-logger.js":
		w.Header().Set("Content-Type", f.scriptType)
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = io.WriteString(w, f.script)
	case r.Method == "GET" && r.URL.Path == "/status":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=60")
		_, _ = io.WriteString(w, "<!doctype html><html><title>status</title></html>")
	case r.Method == "GET" && r.URL.Path == "/openapi.json":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.openapi)
	case r.Method == "GET" && r.URL.Path == "/status.json":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.statusJSON)
	case r.Method == "POST" && r.URL.Path == "/api/client-logs":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.logsStatus)
		_, _ = io.WriteString(w, `{"accepted":0,"dropped":0,"truncated":0}`)
	default:
		http.NotFound(w, r)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*fakeAPI)
		wantCode int
		wantErr  string
	}{
		{"seed outputs", func(*fakeAPI) {}, 0, ""},
		{"health not ok", func(f *fakeAPI) { f.health = strings.Replace(f.health, `"ok"`, `"degraded"`, 1) }, 1, `status is degraded, want "ok"`},
		{"health extra field", func(f *fakeAPI) { f.health = strings.Replace(f.health, `{`, `{"db":"up",`, 1) }, 1, "unexpected [db]"},
		{"health missing uptime", func(f *fakeAPI) { f.health = strings.Replace(f.health, `,"uptime_seconds":12`, ``, 1) }, 1, "missing [uptime_seconds]"},
		{"health text/plain", func(f *fakeAPI) { f.healthType = "text/plain" }, 1, "Content-Type"},
		{"ticket 200", func(f *fakeAPI) { f.ticketStatus = 200 }, 1, "status 200, want 201"},
		{"ticket message", func(f *fakeAPI) { f.ticket = strings.Replace(f.ticket, "12 business", "12", 1) }, 1, "message is"},
		{"ticket id", func(f *fakeAPI) { f.ticket = strings.Replace(f.ticket, "TKT-7K3M9QXA", "TKT-001", 1) }, 1, "ticket_id"},
		{"ticket sla", func(f *fakeAPI) { f.ticket = strings.Replace(f.ticket, `"sla_hours":12`, `"sla_hours":48`, 1) }, 1, "sla_hours"},
		{"correlation header", func(f *fakeAPI) { f.cidHeader = "other" }, 1, "X-Correlation-ID header"},
		{"bad request 500", func(f *fakeAPI) { f.badStatus = 500 }, 1, "status 500, want 400"},
		{"bad request plain json", func(f *fakeAPI) { f.badType = "application/json" }, 1, "problem+json"},
		{"logger not a module", func(f *fakeAPI) { f.script = "<html>" }, 1, "not an ES module"},
		{"logger does not parse", func(f *fakeAPI) { f.script = "export const = ;" }, 1, "does not parse"},
		{"logger as text/html", func(f *fakeAPI) { f.scriptType = "text/html" }, 1, "want application/javascript"},
		{"status overall unknown", func(f *fakeAPI) { f.statusJSON = `{"overall":"fine","targets":[]}` }, 1, "overall is fine"},
		{"status without its 90 bars", func(f *fakeAPI) { f.statusJSON = `{"overall":"outage","targets":[{"days":[]}]}` }, 1, "want 90"},
		{"openapi 3.0", func(f *fakeAPI) { f.openapi = strings.Replace(f.openapi, "3.1.0", "3.0.3", 1) }, 1, "want 3.1.x"},
		{"openapi without status", func(f *fakeAPI) { f.openapi = strings.Replace(f.openapi, `,"/status":{}`, "", 1) }, 1, "no path /status"},
		{"client logs refused", func(f *fakeAPI) { f.logsStatus = 415 }, 1, "status 415, want 202"},
		{"bad request no correlation", func(f *fakeAPI) { f.bad = strings.Replace(f.bad, `,"correlation_id":"c-2"`, ``, 1) }, 1, "correlation_id is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := goodAPI()
			tc.mutate(&api)
			srv := httptest.NewServer(api)
			defer srv.Close()
			var out, errOut bytes.Buffer
			code := run([]string{"-url", srv.URL + "/"}, &out, &errOut)
			if code != tc.wantCode || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d containing %q (stdout %q)", code, errOut.String(), tc.wantCode, tc.wantErr, out.String())
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"not a URL", []string{"-url", "127.0.0.1:3000"}, 2},
		{"unknown flag", []string{"-nope"}, 2},
		{"unreachable", []string{"-url", "http://127.0.0.1:1", "-timeout", "2s"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := run(tc.args, io.Discard, io.Discard); code != tc.want {
				t.Errorf("exit %d, want %d", code, tc.want)
			}
		})
	}
}
