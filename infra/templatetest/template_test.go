package templatetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestProject runs every check on the real checkout.
func TestProject(t *testing.T) {
	p, err := loadProject(root(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for _, problem := range c.run(p) {
				t.Error(problem)
			}
		})
	}
}

// copyProject writes template.yaml, the Makefile, empty function folders and
// the sample events of the real checkout into a temporary directory, adding
// an event file for any folder that has none yet.
func copyProject(t *testing.T) string {
	t.Helper()
	src, dst := root(t), t.TempDir()
	for _, f := range []string{"template.yaml", "Makefile", "go.mod"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs, _ := os.ReadDir(filepath.Join(src, "functions"))
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(dst, "functions", d.Name()), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	events, _ := filepath.Glob(filepath.Join(src, "events", "*.json"))
	if err := os.MkdirAll(filepath.Join(dst, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if m, _ := filepath.Glob(filepath.Join(src, "events", d.Name()+"*.json")); len(m) == 0 {
			events = append(events, filepath.Join(src, "events", d.Name()+".json"))
		}
	}
	for _, e := range events {
		b, err := os.ReadFile(e)
		if err != nil {
			b = []byte("{}")
		}
		if err := os.WriteFile(filepath.Join(dst, "events", filepath.Base(e)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// edit replaces old with new in a file of the copy; it fails the test when
// old is not there, so a drifted template cannot make a check pass vacuously.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("broken copy: %q not found in %s; update this test's edit", old, file)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeGlob(t *testing.T, pattern string) {
	t.Helper()
	m, _ := filepath.Glob(pattern)
	if len(m) == 0 {
		t.Fatalf("broken copy: nothing matches %s", pattern)
	}
	for _, f := range m {
		if err := os.RemoveAll(f); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChecksFailOnBrokenCopies proves each check can fail: it passes on an
// unbroken copy and reports a problem once the copy is broken its way.
func TestChecksFailOnBrokenCopies(t *testing.T) {
	const tpl, mk = "template.yaml", "Makefile"
	tests := []struct {
		check, name string
		breakIt     func(t *testing.T, dir string)
	}{
		{"one function resource per folder", "folder without resource", func(t *testing.T, d string) {
			if err := os.MkdirAll(filepath.Join(d, "functions", "orphan"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"one function resource per folder", "resource without folder", func(t *testing.T, d string) {
			removeGlob(t, filepath.Join(d, "functions", "tickets"))
		}},
		{"makefile target builds the folder", "target builds another folder", func(t *testing.T, d string) {
			edit(t, d, mk, "$(call lambda_build,tickets)", "$(call lambda_build,health)")
		}},
		{"makefile target builds the folder", "target missing", func(t *testing.T, d string) {
			edit(t, d, mk, "build-KeepaliveFunction:\n", "build-Keepalive:\n")
		}},
		{"makefile target builds the folder", "not for arm64", func(t *testing.T, d string) {
			edit(t, d, mk, "GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(LAMBDA_FLAGS) -o \"$(ARTIFACTS_DIR)", "GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build $(LAMBDA_FLAGS) -o \"$(ARTIFACTS_DIR)")
		}},
		{"sample events per folder", "no events", func(t *testing.T, d string) {
			removeGlob(t, filepath.Join(d, "events", "health*.json"))
		}},
		{"functions built the SAM way", "runtime", func(t *testing.T, d string) {
			edit(t, d, tpl, "Runtime: provided.al2023", "Runtime: go1.x")
		}},
		{"functions built the SAM way", "architecture", func(t *testing.T, d string) {
			edit(t, d, tpl, "Architectures: [arm64]", "Architectures: [x86_64]")
		}},
		{"functions built the SAM way", "build method", func(t *testing.T, d string) {
			edit(t, d, tpl, "BuildMethod: makefile", "BuildMethod: go1.x")
		}},
		{"functions built the SAM way", "handler", func(t *testing.T, d string) {
			edit(t, d, tpl, "Handler: bootstrap", "Handler: main")
		}},
		{"routes belong to existing functions", "route served twice", func(t *testing.T, d string) {
			edit(t, d, tpl, "Path: /api/support/tickets\n            Method: POST", "Path: /health\n            Method: GET")
		}},
		{"routes belong to existing functions", "route only in the OpenAPI body", func(t *testing.T, d string) {
			edit(t, d, "template.yaml", "          /api/support/tickets:\n            post:\n", "          /api/support/tickets:\n            put:\n")
		}},
		{"routes belong to existing functions", "route integrated by the OpenAPI body", func(t *testing.T, d string) {
			edit(t, d, "template.yaml", "            post:\n              security: !If\n", "            post:\n              x-amazon-apigateway-integration: {type: mock}\n              security: !If\n")
		}},
		{"routes belong to existing functions", "route of a missing folder", func(t *testing.T, d string) {
			removeGlob(t, filepath.Join(d, "functions", "driftscan"))
		}},
		{"http api, table and bus", "table deleted with the stack", func(t *testing.T, d string) {
			edit(t, d, tpl, "DeletionPolicy: Retain", "DeletionPolicy: Delete")
		}},
		{"http api, table and bus", "no point-in-time recovery", func(t *testing.T, d string) {
			edit(t, d, tpl, "PointInTimeRecoveryEnabled: true", "PointInTimeRecoveryEnabled: false")
		}},
		{"http api, table and bus", "provisioned", func(t *testing.T, d string) {
			edit(t, d, tpl, "BillingMode: PAY_PER_REQUEST", "BillingMode: PROVISIONED")
		}},
		{"http api, table and bus", "no TTL", func(t *testing.T, d string) {
			edit(t, d, tpl, "AttributeName: expires_at\n        Enabled: true", "AttributeName: expires_at\n        Enabled: false")
		}},
		{"http api, table and bus", "no bus", func(t *testing.T, d string) {
			edit(t, d, tpl, "Type: AWS::Events::EventBus", "Type: AWS::SNS::Topic")
		}},
		{"http api, table and bus", "no http api", func(t *testing.T, d string) {
			edit(t, d, tpl, "Type: AWS::Serverless::HttpApi", "Type: AWS::Serverless::Api")
		}},
		{"keepalive hourly and drift daily schedules", "keepalive not hourly", func(t *testing.T, d string) {
			edit(t, d, tpl, "Schedule: rate(1 hour)", "Schedule: rate(2 hours)")
		}},
		{"keepalive hourly and drift daily schedules", "drift not daily", func(t *testing.T, d string) {
			edit(t, d, tpl, "Schedule: rate(1 day)", "Schedule: rate(7 days)")
		}},
		{"sample events match triggers", "route without event", func(t *testing.T, d string) {
			removeGlob(t, filepath.Join(d, "events", "health-head.json"))
		}},
		{"sample events match triggers", "event for another route", func(t *testing.T, d string) {
			edit(t, d, "events/health.json", `"routeKey": "GET /health"`, `"routeKey": "GET /healthz"`)
		}},
		{"sample events match triggers", "schedule without event", func(t *testing.T, d string) {
			edit(t, d, tpl, `Input: !Sub '{"source":"levqor.schedule","api_url":"https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"}'`,
				`Input: '{"source":"levqor.other"}'`)
		}},
		{"sample events match triggers", "stream without event", func(t *testing.T, d string) {
			removeGlob(t, filepath.Join(d, "events", "tickets-stream*.json"))
		}},
		{"outputs", "no ApiUrl", func(t *testing.T, d string) {
			edit(t, d, tpl, "  ApiUrl:", "  ApiURL:")
		}},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.check] = true
		t.Run(tc.check+"/"+tc.name, func(t *testing.T) {
			c := find(t, tc.check)
			dir := copyProject(t)
			p, err := loadProject(dir)
			if err != nil {
				t.Fatal(err)
			}
			if problems := c.run(p); len(problems) != 0 {
				t.Fatalf("unbroken copy already fails: %v", problems)
			}
			tc.breakIt(t, dir)
			if p, err = loadProject(dir); err != nil {
				t.Fatal(err)
			}
			problems := c.run(p)
			if len(problems) == 0 {
				t.Fatalf("check %q passed on a copy broken by %q", tc.check, tc.name)
			}
			t.Logf("reported: %v", problems)
		})
	}
	for _, n := range names() {
		if !covered[n] {
			t.Errorf("check %q has no broken-copy case", n)
		}
	}
}

func find(t *testing.T, name string) check {
	t.Helper()
	for _, c := range checks {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no check %q", name)
	return check{}
}

func TestPeriod(t *testing.T) {
	tests := map[string]string{
		"rate(1 hour)": "hourly", "rate(1 day)": "daily", "cron(0 6 * * ? *)": "daily",
		"rate(2 hours)": "", "rate(1 days)": "", "cron(0/5 * * * ? *)": "", "": "",
	}
	for expr, want := range tests {
		t.Run(expr, func(t *testing.T) {
			if got := period(expr); got != want {
				t.Errorf("period(%q) = %q, want %q", expr, got, want)
			}
		})
	}
}
