package templatetest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/levqor/serverless/infra/invoke"
	"github.com/levqor/serverless/infra/samtemplate"
)

// project is what the checks read: a tree with template.yaml, Makefile,
// functions/ and events/ (the real checkout, or a broken copy).
type project struct {
	root string
	tpl  *samtemplate.Template
	dirs []string // folders under functions/
}

func loadProject(root string) (*project, error) {
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), samtemplate.Options{})
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	p := &project{root: root, tpl: tpl}
	for _, e := range entries {
		if e.IsDir() {
			p.dirs = append(p.dirs, e.Name())
		}
	}
	return p, nil
}

// check is one rule; it returns one line per problem, none when it holds.
type check struct {
	name string
	run  func(p *project) []string
}

var checks = []check{
	{"one function resource per folder", func(p *project) []string {
		var out []string
		for _, d := range p.dirs {
			var ids []string
			for _, fn := range p.tpl.Functions {
				if fn.Dir == d {
					ids = append(ids, fn.LogicalID)
				}
			}
			if len(ids) != 1 {
				out = append(out, fmt.Sprintf("functions/%s has %d function resources %v, want exactly 1", d, len(ids), ids))
			}
		}
		for _, fn := range p.tpl.Functions {
			if _, err := os.Stat(filepath.Join(p.root, "functions", fn.Dir)); err != nil {
				out = append(out, fmt.Sprintf("%s has no folder functions/%s", fn.LogicalID, fn.Dir))
			}
		}
		return out
	}},
	{"makefile target builds the folder", func(p *project) []string {
		var out []string
		for _, fn := range p.tpl.Functions {
			if msg := makeTarget(p.root, fn); msg != "" {
				out = append(out, msg)
			}
		}
		return out
	}},
	{"sample events per folder", func(p *project) []string {
		var out []string
		for _, d := range p.dirs {
			if m, _ := filepath.Glob(filepath.Join(p.root, "events", d+"*.json")); len(m) == 0 {
				out = append(out, fmt.Sprintf("functions/%s has no events/%s*.json", d, d))
			}
		}
		return out
	}},
	{"functions built the SAM way", func(p *project) []string {
		var out []string
		for _, fn := range p.tpl.Functions {
			got := fmt.Sprintf("Runtime=%s Architectures=%v Handler=%s BuildMethod=%s CodeUri=%s",
				fn.Runtime, fn.Architectures, fn.Handler, fn.BuildMethod, fn.CodeUri)
			if want := "Runtime=provided.al2023 Architectures=[arm64] Handler=bootstrap BuildMethod=makefile CodeUri=."; got != want {
				out = append(out, fmt.Sprintf("%s: %s, want %s", fn.LogicalID, got, want))
			}
		}
		return out
	}},
	{"routes belong to existing functions", func(p *project) []string {
		var out []string
		seen := map[string]string{}
		for _, fn := range p.tpl.Functions {
			for _, r := range fn.Routes {
				key := r.Method + " " + r.Path
				if other, ok := seen[key]; ok {
					out = append(out, fmt.Sprintf("route %s is served by both %s and %s", key, other, fn.LogicalID))
				}
				seen[key] = fn.LogicalID
				if _, err := os.Stat(filepath.Join(p.root, "functions", fn.Dir)); err != nil {
					out = append(out, fmt.Sprintf("route %s belongs to %s, whose folder functions/%s does not exist", key, fn.LogicalID, fn.Dir))
				}
			}
		}
		// Routes declared on raw HttpApi resources (Routes / DefinitionBody)
		// would bypass the functions: a DefinitionBody may only add to the
		// routes the function events declare (security), never integrate one.
		for _, id := range p.tpl.ResourcesOfType("AWS::Serverless::HttpApi") {
			paths := asMap(asMap(p.tpl.Resources[id].Properties["DefinitionBody"])["paths"])
			for path, ops := range paths {
				for method, op := range asMap(ops) {
					key := strings.ToUpper(method) + " " + path
					if _, ok := seen[key]; !ok {
						out = append(out, fmt.Sprintf("%s's DefinitionBody declares %s, which no function event serves", id, key))
					}
					if _, ok := asMap(op)["x-amazon-apigateway-integration"]; ok {
						out = append(out, fmt.Sprintf("%s's DefinitionBody integrates %s itself; routes must come from function events", id, key))
					}
				}
			}
		}
		for _, id := range p.tpl.ResourcesOfType("AWS::ApiGatewayV2::Route") {
			out = append(out, "raw route resource "+id+"; routes must come from function events")
		}
		return out
	}},
	{"http api, table and bus", func(p *project) []string {
		var out []string
		if len(p.tpl.ResourcesOfType("AWS::Serverless::HttpApi")) != 1 {
			out = append(out, "want exactly one AWS::Serverless::HttpApi")
		}
		if len(p.tpl.ResourcesOfType("AWS::Events::EventBus")) == 0 {
			out = append(out, "no AWS::Events::EventBus")
		}
		t, ok := p.tpl.Resources[samtemplate.TableLogicalID]
		if !ok || t.Type != "AWS::DynamoDB::Table" {
			return append(out, "no AWS::DynamoDB::Table "+samtemplate.TableLogicalID)
		}
		if t.DeletionPolicy != "Retain" {
			out = append(out, fmt.Sprintf("table DeletionPolicy %q, want Retain", t.DeletionPolicy))
		}
		if bm := t.Properties["BillingMode"]; bm != "PAY_PER_REQUEST" {
			out = append(out, fmt.Sprintf("table BillingMode %v, want PAY_PER_REQUEST (on demand)", bm))
		}
		pitr, _ := t.Properties["PointInTimeRecoverySpecification"].(map[string]any)
		if pitr["PointInTimeRecoveryEnabled"] != true {
			out = append(out, "table point-in-time recovery not enabled")
		}
		ttl, _ := t.Properties["TimeToLiveSpecification"].(map[string]any)
		if ttl["Enabled"] != true || p.tpl.TableTTLAttribute() == "" {
			out = append(out, "table TTL not enabled with an attribute")
		}
		return out
	}},
	{"keepalive hourly and drift daily schedules", func(p *project) []string {
		var out []string
		for _, want := range []struct{ dir, what string }{{"keepalive", "hourly"}, {"driftscan", "daily"}} {
			fn := p.tpl.FunctionByDir(want.dir)
			found := false
			for _, s := range scheduleList(fn) {
				found = found || period(s.Expression) == want.what
			}
			if !found {
				out = append(out, fmt.Sprintf("functions/%s has no enabled %s schedule (keepalive: rate(1 hour); drift: rate(1 day) or a daily cron)", want.dir, want.what))
			}
		}
		return out
	}},
	{"sample events match triggers", func(p *project) []string {
		var out []string
		for _, fn := range p.tpl.Functions {
			events := readEvents(p.root, fn.Dir)
			keys := map[string]bool{}
			sources := map[string]bool{}
			stream := false
			for name, e := range events {
				switch {
				case e.RouteKey != "":
					keys[e.RouteKey] = true
					if !hasRoute(fn, e.RouteKey) {
						out = append(out, fmt.Sprintf("events/%s: routeKey %q is not a route of %s", name, e.RouteKey, fn.LogicalID))
					}
				case len(e.Records) > 0:
					stream = stream || e.Records[0].EventSource == "aws:dynamodb"
				case e.Source != "":
					sources[e.Source] = true
				}
			}
			for _, r := range fn.Routes {
				if key := r.Method + " " + r.Path; !keys[key] {
					out = append(out, fmt.Sprintf("route %s of %s has no sample event in events/%s*.json", key, fn.LogicalID, fn.Dir))
				}
			}
			for _, s := range fn.Schedules {
				// With Input, EventBridge delivers the Input itself, not
				// the Scheduled Event envelope.
				want := "aws.events"
				var in struct{ Source string }
				if s.Input != "" && json.Unmarshal([]byte(s.Input), &in) == nil && in.Source != "" {
					want = in.Source
				}
				if !sources[want] {
					out = append(out, fmt.Sprintf("schedule %s of %s has no sample event with source %q", s.EventName, fn.LogicalID, want))
				}
			}
			if len(fn.Streams) > 0 && !stream {
				out = append(out, fmt.Sprintf("%s reads a DynamoDB stream but has no sample stream event", fn.LogicalID))
			}
		}
		return out
	}},
	{"outputs", func(p *project) []string {
		var out []string
		for _, name := range []string{"ApiUrl", "TableName", "EventBusName"} {
			if o, ok := p.tpl.Outputs[name]; !ok || o["Value"] == nil {
				out = append(out, "no output "+name)
			}
		}
		return out
	}},
}

// sampleEvent is what the checks read of an events/*.json file.
type sampleEvent struct {
	RouteKey string `json:"routeKey"`
	Source   string `json:"source"`
	Records  []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
}

// readEvents reads events/<dir>*.json by file name; files that are not a
// JSON object read as empty events.
func readEvents(root, dir string) map[string]sampleEvent {
	out := map[string]sampleEvent{}
	files, _ := filepath.Glob(filepath.Join(root, "events", dir+"*.json"))
	for _, f := range files {
		var e sampleEvent
		if b, err := os.ReadFile(f); err == nil {
			_ = json.Unmarshal(b, &e)
		}
		out[filepath.Base(f)] = e
	}
	return out
}

func hasRoute(fn samtemplate.Function, key string) bool {
	for _, r := range fn.Routes {
		if r.Method+" "+r.Path == key {
			return true
		}
	}
	return false
}

func scheduleList(fn *samtemplate.Function) []samtemplate.Schedule {
	if fn == nil {
		return nil
	}
	return fn.Schedules
}

// dailyCron matches cron(M H * * ? *) style expressions with fixed minute and hour.
var dailyCron = regexp.MustCompile(`^cron\(\d{1,2} \d{1,2} \* \* \? \*\)$`)

// period names how often an EventBridge schedule expression fires, when it
// is exactly hourly or daily.
func period(expr string) string {
	switch {
	case expr == "rate(1 hour)":
		return "hourly"
	case expr == "rate(1 day)" || dailyCron.MatchString(expr):
		return "daily"
	}
	return ""
}

// makeTarget dry-runs `make build-<LogicalId>` the way `sam build` calls
// it and says what is wrong with the command it would run.
func makeTarget(root string, fn samtemplate.Function) string {
	target := "build-" + fn.LogicalID
	cmd := exec.Command("make", "-n", "-C", root, target, "ARTIFACTS_DIR=/artifacts")
	cmd.Env = append(os.Environ(), "MAKEFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("make %s: %v: %s", target, err, strings.TrimSpace(string(out)))
	}
	s := string(out)
	for _, want := range []string{
		"./functions/" + fn.Dir, "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "-tags " + invoke.Tags,
		"-trimpath", `-o "/artifacts/bootstrap"`,
	} {
		if !containsWord(s, want) {
			return fmt.Sprintf("make %s does not run %q:\n%s", target, want, s)
		}
	}
	return ""
}

// containsWord is strings.Contains that will not take ./functions/health for
// ./functions/healthz.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		end := i + j + len(w)
		if end == len(s) || strings.ContainsRune(" \t\n;", rune(s[end])) {
			return true
		}
		i = end
	}
}

func names() []string {
	var n []string
	for _, c := range checks {
		n = append(n, c.name)
	}
	sort.Strings(n)
	return n
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
