package workflowtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/levqor/serverless/infra/samtemplate"
)

func workflowsDir(t *testing.T) string {
	t.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, ".github", "workflows")
}

// lint runs actionlint over files and returns its findings, one a line;
// shellcheck and pyflakes are left out (empty paths) so the result does
// not depend on what this machine has. actionlint runs as the binary make
// deps builds (its own module: its YAML library's release candidate and
// the one kin-openapi needs cannot share this go.mod); without it the test
// is skipped, or fails when CI is set.
func lint(t *testing.T, files ...string) []string {
	t.Helper()
	bin := os.Getenv("ACTIONLINT")
	if bin == "" {
		root, err := samtemplate.FindModuleRoot(".")
		if err != nil {
			t.Fatal(err)
		}
		bin = filepath.Join(root, "bin", "tools", "actionlint")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := "no actionlint at " + bin + ": make deps builds it"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out, err := exec.Command(bin, append([]string{"-no-color", "-oneline", "-shellcheck=", "-pyflakes="}, files...)...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() == 1: // findings
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	t.Fatalf("actionlint: %v: %s", err, out)
	return nil
}

// workflow is the part of a workflow file the job checks read.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Steps []struct {
			Run string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func (w workflow) runs(cmd string) bool {
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Run, cmd) {
				return true
			}
		}
	}
	return false
}

// checks are what each workflow must keep doing.
var checks = map[string]func(w workflow) string{
	"ci.yml": func(w workflow) string {
		if _, ok := w.On["push"]; !ok {
			return "not run on push"
		}
		if _, ok := w.On["pull_request"]; !ok {
			return "not run on pull_request"
		}
		if !w.runs("bash .ci/run") {
			return "no step runs bash .ci/run"
		}
		return ""
	},
	"deployment-health.yml": func(w workflow) string {
		hourly := false
		for _, s := range asList(w.On["schedule"]) {
			m, _ := s.(map[string]any)
			f := strings.Fields(strings.TrimSpace(stringOf(m["cron"])))
			hourly = hourly || len(f) == 5 && f[1] == "*" && f[2] == "*" && f[3] == "*" && f[4] == "*" && !strings.ContainsAny(f[0], "*/,-")
		}
		if !hourly {
			return "no hourly schedule"
		}
		if _, ok := w.On["workflow_dispatch"]; !ok {
			return "no workflow_dispatch"
		}
		if !w.runs("make smoke") {
			return "no step runs make smoke"
		}
		return ""
	},
}

func asList(v any) []any { l, _ := v.([]any); return l }

func stringOf(v any) string { s, _ := v.(string); return s }

func parse(t *testing.T, b []byte) workflow {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWorkflows lints every workflow and checks each does its job.
func TestWorkflows(t *testing.T) {
	dir := workflowsDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(files) != len(checks) {
		t.Errorf("workflows %v, want exactly %d (%v)", files, len(checks), checks)
	}
	for _, e := range lint(t, files...) {
		t.Errorf("actionlint: %s", e)
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if problem := check(parse(t, b)); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// TestChecksFailOnBrokenCopies proves actionlint and the job checks can
// fail: each case breaks a copy of a workflow one way.
func TestChecksFailOnBrokenCopies(t *testing.T) {
	cases := []struct {
		file, name, old, new string
		lintFails            bool
	}{
		{"ci.yml", "unknown runner key", "runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", true},
		{"ci.yml", "bad expression", "ci-${{ github.ref }}", "ci-${{ github.nosuch( }}", true},
		{"ci.yml", "no .ci/run", "run: bash .ci/run", "run: make test", false},
		{"ci.yml", "push dropped", "  push:\n    branches: [main]\n", "", false},
		{"deployment-health.yml", "bad cron", `cron: "17 * * * *"`, `cron: "17 * * *"`, true},
		{"deployment-health.yml", "daily, not hourly", `cron: "17 * * * *"`, `cron: "17 3 * * *"`, false},
		{"deployment-health.yml", "no manual dispatch", "  workflow_dispatch:\n", "", false},
		{"deployment-health.yml", "no smoke", `run: make smoke API_URL="$API_URL"`, `run: echo skipped`, false},
	}
	for _, tc := range cases {
		t.Run(tc.file+"/"+tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(workflowsDir(t), tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.old) {
				t.Fatalf("%q not in %s: update this case", tc.old, tc.file)
			}
			broken := strings.Replace(string(b), tc.old, tc.new, 1)
			dir := filepath.Join(t.TempDir(), ".github", "workflows")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, tc.file)
			if err := os.WriteFile(p, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			errs := lint(t, p)
			if tc.lintFails {
				if len(errs) == 0 {
					t.Fatal("actionlint accepted the broken copy")
				}
				return
			}
			if len(errs) != 0 {
				t.Fatalf("actionlint: %v", errs)
			}
			if checks[tc.file](parse(t, []byte(broken))) == "" {
				t.Fatal("the job check accepted the broken copy")
			}
		})
	}
}
