package contract

import (
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/buildinfo"
)

func load(t *testing.T) *Contract {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDocumentMatchesTemplate: every route template.yaml declares is a
// documented operation and every documented operation a route, and the
// document's version is the code's.
func TestDocumentMatchesTemplate(t *testing.T) {
	c := load(t)
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), samtemplate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, fn := range tpl.Functions {
		for _, r := range fn.Routes {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	slices.Sort(routes)
	ops := c.Operations()
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("template.yaml routes %s; the OpenAPI document does not", r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			t.Errorf("the OpenAPI document has %s; template.yaml routes no such thing", o)
		}
	}
	if v := c.Doc().Info.Version; v != buildinfo.Version {
		t.Errorf("document version %q, code %q (shared/buildinfo.Version)", v, buildinfo.Version)
	}
}

func TestCheck(t *testing.T) {
	c := load(t)
	jsonH := func(kv ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, "X-Correlation-Id": {"req-12345678"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	health := `{"status":"ok","version":"1.0.0","build":"abc1234","timestamp":1700000000,"uptime_seconds":1}`
	problem := `{"type":"https://levqor.ai/problems/validation-error","title":"Invalid request","status":400,"detail":"x","correlation_id":"req-12345678"}`
	cases := []struct {
		name    string
		x       Exchange
		wantErr string
	}{
		{"health", Exchange{Method: "GET", Path: "/health", Status: 200, RespHeader: jsonH(), RespBody: []byte(health)}, ""},
		{"health without a field", Exchange{Method: "GET", Path: "/health", Status: 200, RespHeader: jsonH(), RespBody: []byte(`{"status":"ok"}`)}, "response 200"},
		{"health with an extra field", Exchange{Method: "GET", Path: "/health", Status: 200, RespHeader: jsonH(), RespBody: []byte(strings.Replace(health, "{", `{"db":1,`, 1))}, "response 200"},
		{"an undocumented status", Exchange{Method: "GET", Path: "/health", Status: 418, RespHeader: jsonH(), RespBody: []byte(health)}, "response 418"},
		{"problem as plain JSON", Exchange{Method: "POST", Path: "/api/support/tickets", Status: 400, RespHeader: jsonH(), RespBody: []byte(problem)}, "response 400"},
		{"problem", Exchange{Method: "POST", Path: "/api/support/tickets", Status: 400, RespHeader: jsonH("Content-Type", "application/problem+json"), RespBody: []byte(problem)}, ""},
		{"no correlation header", Exchange{Method: "GET", Path: "/health", Status: 200, RespHeader: http.Header{"Content-Type": {"application/json"}}, RespBody: []byte(health)}, "X-Correlation-ID"},
		{"503 without Retry-After", Exchange{Method: "POST", Path: "/api/support/tickets", Status: 503, RespHeader: jsonH("Content-Type", "application/problem+json"), RespBody: []byte(strings.Replace(problem, "400", "503", 1))}, "Retry-After"},
		{"an accepted request that breaks the schema", Exchange{Method: "POST", Path: "/api/support/tickets", Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"subject":"x"}`), Status: 201, RespHeader: jsonH(), RespBody: []byte(`{}`)}, "request"},
		{"no such route", Exchange{Method: "GET", Path: "/nope", Status: 404}, ErrNoRoute.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Check(tc.x)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Check = %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
	if err := c.Check(Exchange{Method: "DELETE", Path: "/health"}); !errors.Is(err, ErrNoRoute) {
		t.Errorf("DELETE /health: %v", err)
	}
}
