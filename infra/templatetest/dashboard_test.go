package templatetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/metrics"
)

// awsMetrics are the AWS-published metrics the dashboard may name: the
// namespace's metric names and the dimension sets AWS splits them by, for
// the kinds of resource the template has.
var awsMetrics = map[string]struct {
	names []string
	dims  [][]string
}{
	"AWS/Lambda":     {[]string{"Duration", "Errors", "Throttles", "Invocations", "ConcurrentExecutions"}, [][]string{{"FunctionName"}}},
	"AWS/ApiGateway": {[]string{"4xx", "5xx", "Count", "Latency", "IntegrationLatency"}, [][]string{{"ApiId"}, {"ApiId", "Stage"}, {"ApiId", "Method", "Resource", "Stage"}}},
	"AWS/SQS":        {[]string{"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}, [][]string{{"QueueName"}}},
}

// search is a SEARCH expression's schema and metric name.
var search = regexp.MustCompile(`SEARCH\('\{([^}]*)\}\s+MetricName="([^"]+)"`)

// dashboardProblems says what is wrong with the template's dashboard body:
// not valid dashboard JSON (widgets with a type, a place on the 24-column
// grid, and metric widgets with a region and metrics), a metric neither the
// code (metrics.Catalog) nor AWS publishes, or a dimension value naming no
// resource of the stack (values holds the resolved names).
func dashboardProblems(body string, values []string) []string {
	var d struct {
		Widgets []struct {
			Type                string `json:"type"`
			X, Y, Width, Height *int
			Properties          struct {
				Title   string  `json:"title"`
				Region  string  `json:"region"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return []string{"DashboardBody is not JSON: " + err.Error()}
	}
	if len(d.Widgets) == 0 {
		return []string{"no widgets"}
	}
	var out []string
	for i, w := range d.Widgets {
		where := fmt.Sprintf("widget %d (%q)", i, w.Properties.Title)
		if w.X == nil || w.Y == nil || w.Width == nil || w.Height == nil || *w.X < 0 || *w.Width < 1 || *w.X+*w.Width > 24 || *w.Height < 1 {
			out = append(out, where+": not placed on the 24-column grid")
		}
		switch w.Type {
		case "text":
			continue
		case "metric":
		default:
			out = append(out, where+": type "+w.Type)
			continue
		}
		if w.Properties.Region == "" || w.Properties.Title == "" || len(w.Properties.Metrics) == 0 {
			out = append(out, where+": a metric widget needs a title, a region and metrics")
		}
		for _, m := range w.Properties.Metrics {
			out = append(out, metricProblems(where, m, values)...)
		}
	}
	return out
}

func metricProblems(where string, m []any, values []string) []string {
	if len(m) == 0 {
		return []string{where + ": an empty metric"}
	}
	if opts, ok := m[0].(map[string]any); ok { // an expression
		expr, _ := opts["expression"].(string)
		found := search.FindAllStringSubmatch(expr, -1)
		if len(found) == 0 {
			return []string{where + ": expression " + expr + " names no metric through SEARCH"}
		}
		var out []string
		for _, f := range found {
			schema := strings.Split(f[1], ",")
			out = append(out, known(where, schema[0], f[2], schema[1:])...)
		}
		return out
	}
	var parts []string
	for _, p := range m {
		if s, ok := p.(string); ok {
			parts = append(parts, s)
		}
	}
	if len(parts) < 2 || len(parts)%2 != 0 {
		return []string{fmt.Sprintf("%s: metric %v is not [namespace, name, dimension, value...]", where, m)}
	}
	var dims []string
	var out []string
	for i := 2; i < len(parts); i += 2 {
		dims = append(dims, parts[i])
		if !slices.Contains(values, parts[i+1]) {
			out = append(out, fmt.Sprintf("%s: %s %s=%q names no resource of the stack", where, parts[1], parts[i], parts[i+1]))
		}
	}
	return append(out, known(where, parts[0], parts[1], dims)...)
}

// known says whether namespace/name split by dims is published.
func known(where, namespace, name string, dims []string) []string {
	if strings.HasPrefix(namespace, "AWS/") {
		a, ok := awsMetrics[namespace]
		sorted := slices.Sorted(slices.Values(dims))
		if !ok || !slices.Contains(a.names, name) || !slices.ContainsFunc(a.dims, func(d []string) bool { return slices.Equal(d, sorted) }) {
			return []string{fmt.Sprintf("%s: %s %s by %v is not an AWS metric of these resources", where, namespace, name, dims)}
		}
		return nil
	}
	s, ok := metrics.Lookup(namespace, name)
	if !ok {
		return []string{fmt.Sprintf("%s: %s %s is not a metric the code publishes (shared/metrics.Catalog)", where, namespace, name)}
	}
	if !slices.Equal(s.Dimensions, dims) {
		return []string{fmt.Sprintf("%s: %s %s is published by %v, not %v", where, namespace, name, s.Dimensions, dims)}
	}
	return nil
}

// dashboard resolves the template's dashboard body, with each function,
// the queue and the API under names of their own.
func dashboard(t *testing.T, path string) (string, []string) {
	t.Helper()
	ov := samtemplate.LocalOverrides("levqor-tickets")
	names := map[string]string{"DeadLetterQueue.QueueName": "levqor-dlq", "HttpApi": "a1b2c3d4e5"}
	for _, id := range []string{"HealthFunction", "TicketsFunction", "KeepaliveFunction", "DriftScanFunction", "ClientLogsFunction"} {
		names[id] = "levqor-dev-" + id + "-X1"
	}
	var values []string
	for k, v := range names {
		ov[k] = v
		values = append(values, v)
	}
	tpl, err := samtemplate.Load(path, samtemplate.Options{Overrides: ov})
	if err != nil {
		t.Fatal(err)
	}
	ids := tpl.ResourcesOfType("AWS::CloudWatch::Dashboard")
	if len(ids) != 1 {
		t.Fatalf("%d dashboards in the template, want 1", len(ids))
	}
	res, _ := tpl.ResolvedResource(ids[0])
	body, _ := res.Properties["DashboardBody"].(string)
	return body, values
}

// TestDashboard: the dashboard is valid dashboard JSON and names only
// metrics that exist: the code's own and AWS's for these resources.
func TestDashboard(t *testing.T) {
	body, values := dashboard(t, filepath.Join(root(t), "template.yaml"))
	for _, p := range dashboardProblems(body, values) {
		t.Error(p)
	}
	for _, want := range []string{"TicketsCreated", "4xx", "5xx", "p99", "ColdStart", "LatencyMs", "99.9", "ChecksFailed", "ApproximateNumberOfMessagesVisible", "Throttles", "ClientErrors", "Panics"} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard shows no %s", want)
		}
	}
}

// TestDashboardCatchesBrokenCopies proves the check can fail.
func TestDashboardCatchesBrokenCopies(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, old, new string }{
		{"a metric the code does not publish", `MetricName=\"TicketsCreated\"`, `MetricName=\"TicketCreated\"`},
		{"the wrong dimensions", `{Levqor/Client,Service,Release}`, `{Levqor/Client,Release}`},
		{"not an AWS metric", `"AWS/Lambda", "Throttles"`, `"AWS/Lambda", "Throttled"`},
		{"a function not in the stack", `"FunctionName", "${HealthFunction}", {"stat": "p50"`, `"FunctionName", "health", {"stat": "p50"`},
		{"off the grid", `"x": 16, "y": 25, "width": 8`, `"x": 20, "y": 25, "width": 8`},
		{"not JSON", `{"widgets": [`, `{"widgets": [[`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(src), tc.old) {
				t.Fatalf("%q is not in template.yaml: update this case", tc.old)
			}
			p := filepath.Join(t.TempDir(), "template.yaml")
			if err := os.WriteFile(p, []byte(strings.Replace(string(src), tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			body, values := dashboard(t, p)
			if len(dashboardProblems(body, values)) == 0 {
				t.Error("the broken dashboard passed")
			}
		})
	}
}

// TestAlarmsNamePublishedMetrics: every alarm watches a metric that exists,
// AWS's or the code's (split as published), and an alarm on the code's own
// metrics names the Service the functions publish under (SERVICE_NAME).
func TestAlarmsNamePublishedMetrics(t *testing.T) {
	tpl, err := samtemplate.Load(filepath.Join(root(t), "template.yaml"), samtemplate.Options{Overrides: samtemplate.LocalOverrides("levqor-tickets")})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := tpl.Globals["Function"]["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	service, _ := vars["SERVICE_NAME"].(string)
	if service == "" {
		t.Fatal("Globals set no SERVICE_NAME")
	}
	ids := tpl.ResourcesOfType("AWS::CloudWatch::Alarm")
	if len(ids) == 0 {
		t.Fatal("no alarms")
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			res, _ := tpl.ResolvedResource(id)
			ns, _ := res.Properties["Namespace"].(string)
			name, _ := res.Properties["MetricName"].(string)
			var dims []string
			list, _ := res.Properties["Dimensions"].([]any)
			if len(list) == 0 {
				t.Fatalf("%s watches a metric with no Dimensions", id)
			}
			for _, d := range list {
				d, _ := d.(map[string]any)
				name, _ := d["Name"].(string)
				dims = append(dims, name)
				if d["Name"] == "Service" && d["Value"] != service {
					t.Errorf("Service dimension %v, want the functions' SERVICE_NAME %q", d["Value"], service)
				}
			}
			for _, p := range known(id, ns, name, dims) {
				t.Error(p)
			}
		})
	}
}
