package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/localbus"
	"github.com/levqor/serverless/infra/samtemplate"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(config) bool
	}{
		{"make dev's line", []string{"-template", "template.yaml", "-bin", "bin/host", "-addr", "127.0.0.1:3000"}, false,
			func(c config) bool {
				return c.addr == "127.0.0.1:3000" && c.bin == "bin/host" && c.schedules && c.fireAtStart == "all"
			}},
		{"persisted, failing bus", []string{"-db-path", "/tmp/x", "-bus-fail", "entries"}, false,
			func(c config) bool { return c.dbPath == "/tmp/x" && c.busFail == "entries" }},
		{"stray argument", []string{"extra"}, true, nil},
		{"unknown flag", []string{"-nope"}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestFireAtStart(t *testing.T) {
	tests := []struct {
		list, rule, event string
		want              bool
	}{
		{"all", "levqor-dev-keepalive-hourly", "Hourly", true},
		{"none", "levqor-dev-keepalive-hourly", "Hourly", false},
		{"levqor-dev-keepalive-hourly", "levqor-dev-keepalive-hourly", "Hourly", true},
		{"Hourly, Daily", "levqor-dev-drift-daily", "Daily", true},
		{"Hourly", "levqor-dev-drift-daily", "Daily", false},
	}
	for _, tc := range tests {
		t.Run(tc.list+"/"+tc.rule, func(t *testing.T) {
			if got := (config{fireAtStart: tc.list}).fireAtStartFor(tc.rule, tc.event); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAdminHandler(t *testing.T) {
	bus := localbus.New("eu-west-2", "000000000000", nil)
	h := adminHandler(bus)
	tests := []struct {
		method, target string
		wantStatus     int
		wantFail       string
	}{
		{"POST", "/_local/bus?fail=true", 200, localbus.FailAll},
		{"POST", "/_local/bus?fail=entries", 200, localbus.FailEntries},
		{"POST", "/_local/bus?fail=false", 200, localbus.FailNone},
		{"POST", "/_local/bus?fail=sometimes", 400, localbus.FailNone},
		{"GET", "/_local/bus", 200, localbus.FailNone},
		{"GET", "/_local/other", 404, localbus.FailNone},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.wantStatus || bus.Failure() != tc.wantFail {
				t.Errorf("got %d, bus %q; want %d, %q (%s)", rec.Code, bus.Failure(), tc.wantStatus, tc.wantFail, rec.Body)
			}
		})
	}
	// A page's request (it carries Origin) changes nothing.
	cross := httptest.NewRequest("POST", "/_local/bus?fail=true", nil)
	cross.Header.Set("Origin", "https://example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, cross)
	if rec.Code != http.StatusForbidden || bus.Failure() != localbus.FailNone {
		t.Errorf("a web page's POST: %d, bus %q; want 403 and the bus unchanged", rec.Code, bus.Failure())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/_local/bus/events", nil))
	var events []any
	if err := json.Unmarshal(rec.Body.Bytes(), &events); err != nil || rec.Code != 200 {
		t.Errorf("events: %d %s", rec.Code, rec.Body)
	}
}

func TestAWSHandlerRoutes(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, name) })
	}
	h := awsHandler(named("bus"), named("lambda"), named("apigateway"))
	tests := []struct {
		name, method, path, contentType, want string
	}{
		{"EventBridge", "POST", "/", "application/x-amz-json-1.1", "bus"},
		{"Lambda Invoke", "POST", "/2015-03-31/functions/HealthFunction/invocations", "application/json", "lambda"},
		{"API Gateway GetRoutes", "GET", "/v2/apis/local/routes", "", "apigateway"},
		{"CloudFormation (awsQuery)", "POST", "/", "application/x-www-form-urlencoded", "NotEmulatedLocally"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(""))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("answered %d %s, want %s", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

func TestCORSFromTemplate(t *testing.T) {
	path, err := samtemplate.FindTemplate(".")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.Load(path, samtemplate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := corsConfig(tpl)
	if err != nil || c == nil {
		t.Fatalf("template.yaml's HttpApi CorsConfiguration not read: %v", err)
	}
	if strings.Join(c.AllowOrigins, ",") != "https://levqor.ai,https://www.levqor.ai" || c.MaxAge != 600 ||
		!strings.Contains(strings.Join(c.AllowHeaders, ","), "idempotency-key") {
		t.Errorf("CORS %+v does not match template.yaml", c)
	}
}

// TestCORSRefusesWhatIsNotEmulated: the forms of CorsConfiguration the
// template does not use are refused, not served without CORS headers.
func TestCORSRefusesWhatIsNotEmulated(t *testing.T) {
	api := "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n"
	tests := []struct {
		name, yaml string
		ok         bool
	}{
		{"an object on the HttpApi", api + "    Properties:\n      CorsConfiguration:\n        AllowOrigins: [\"https://a.example\"]\n", true},
		{"none", api, true},
		{"true", api + "    Properties:\n      CorsConfiguration: true\n", false},
		{"in Globals", "Globals:\n  HttpApi:\n    CorsConfiguration:\n      AllowOrigins: [\"*\"]\n" + api, false},
		{"any origin", api + "    Properties:\n      CorsConfiguration:\n        AllowOrigins: [\"*\"]\n", false},
		{"any method", api + "    Properties:\n      CorsConfiguration:\n        AllowOrigins: [\"https://a.example\"]\n        AllowMethods: [\"*\"]\n", false},
		{"credentials", api + "    Properties:\n      CorsConfiguration:\n        AllowOrigins: [\"https://a.example\"]\n        AllowCredentials: true\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := samtemplate.Parse([]byte(tc.yaml), samtemplate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := corsConfig(tpl); (err == nil) != tc.ok {
				t.Errorf("corsConfig: %v, want ok %v", err, tc.ok)
			}
		})
	}
	tpl, _ := samtemplate.Parse([]byte(api+"    Properties:\n      CorsConfiguration:\n        AllowOrigins: [\"https://a.example\"]\n"), samtemplate.Options{})
	if _, err := corsConfig(tpl, "*"); err == nil {
		t.Error(`corsConfig accepted -cors-origin "*"`)
	}
}

// TestStreamRefusesLatest: the template's stream starts at TRIM_HORIZON;
// another starting position is refused, not emulated.
func TestStreamRefusesLatest(t *testing.T) {
	fn := samtemplate.Function{LogicalID: "F"}
	if _, err := newMapping(fn, samtemplate.Stream{EventName: "S", StartingPosition: "LATEST"}, "t", nil, nil, nil, newPrinter(io.Discard)); err == nil ||
		!strings.Contains(err.Error(), "not emulated locally") {
		t.Errorf("LATEST: %v, want a refusal", err)
	}
	if _, err := newMapping(fn, samtemplate.Stream{EventName: "S", StartingPosition: "TRIM_HORIZON"}, "t", nil, nil, nil, newPrinter(io.Discard)); err != nil {
		t.Errorf("TRIM_HORIZON: %v", err)
	}
}
