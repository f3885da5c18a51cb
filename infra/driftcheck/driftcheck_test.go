package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/drift"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestRepositoryInSync is `make drift` inside `make test`: this checkout
// must match the baseline.
func TestRepositoryInSync(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-root", repoRoot(t)}, &out, &errOut); code != 0 {
		t.Fatalf("driftcheck exit %d, want 0 (in sync):\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "in_sync against v12.12") {
		t.Errorf("output lacks the summary line:\n%s", out.String())
	}
}

// copyCheckout copies what the static scan reads (template.yaml, Makefile,
// events/*.json, each functions/<dir>/main.go) into a temporary directory.
func copyCheckout(t *testing.T) string {
	t.Helper()
	src, dst := repoRoot(t), t.TempDir()
	files := []string{"template.yaml", "Makefile"}
	events, _ := filepath.Glob(filepath.Join(src, "events", "*.json"))
	mains, _ := filepath.Glob(filepath.Join(src, "functions", "*", "main.go"))
	for _, p := range append(events, mains...) {
		rel, _ := filepath.Rel(src, p)
		files = append(files, rel)
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, rel), string(data))
	}
	return dst
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// edit replaces old with new exactly once in root/rel.
func edit(t *testing.T, root, rel, old, new string) {
	t.Helper()
	p := filepath.Join(root, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", rel, old, n)
	}
	writeFile(t, p, strings.Replace(string(data), old, new, 1))
}

// failed returns each failed check as name, actual and detail, so that a
// check already failing for another reason still shows a new failure.
func failed(t *testing.T, root string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run([]string{"-root", root, "-json"}, &out, &errOut)
	var rep drift.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report JSON %q: %v (%s)", out.String(), err, errOut.String())
	}
	if code != rep.ExitCode() {
		t.Errorf("exit %d for a %s report", code, rep.Status)
	}
	var fails []string
	for _, c := range rep.Checks {
		if c.Status == drift.Fail {
			fails = append(fails, c.Name+"\x00"+c.Actual+"\x00"+c.Detail)
		}
	}
	return fails
}

// TestModifiedCopy proves each check can fail: a copy of the checkout with
// one thing changed must report exactly that check as newly failed, with
// exit code 1. Failures the unmodified copy already has, word for word (work
// in progress elsewhere in the tree), are subtracted, so each case tests its
// own change.
func TestModifiedCopy(t *testing.T) {
	cases := []struct {
		name   string
		modify func(t *testing.T, root string)
		want   []string
	}{
		{"keepalive schedule changed", func(t *testing.T, root string) {
			edit(t, root, "template.yaml", "Schedule: rate(1 hour)", "Schedule: rate(2 hours)")
		}, []string{"keepalive.rule"}},
		{"route removed", func(t *testing.T, root string) {
			edit(t, root, "template.yaml", "            Path: /health\n            Method: HEAD\n", "            Path: /healthz\n            Method: HEAD\n")
		}, []string{"routes"}},
		{"point-in-time recovery off", func(t *testing.T, root string) {
			edit(t, root, "template.yaml", "PointInTimeRecoveryEnabled: true", "PointInTimeRecoveryEnabled: false")
		}, []string{"table.pitr"}},
		{"TTL attribute renamed", func(t *testing.T, root string) {
			edit(t, root, "template.yaml", "AttributeName: expires_at", "AttributeName: ttl")
		}, []string{"table.ttl"}},
		{"sort key retyped", func(t *testing.T, root string) {
			edit(t, root, "template.yaml", "        - AttributeName: sk\n          AttributeType: S", "        - AttributeName: sk\n          AttributeType: N")
		}, []string{"table.key_schema"}},
		{"architecture changed", func(t *testing.T, root string) {
			edit(t, root, "template.yaml", "Architectures: [arm64]", "Architectures: [x86_64]")
		}, []string{"functions.ClientLogsFunction", "functions.DriftScanFunction", "functions.HealthFunction", "functions.KeepaliveFunction", "functions.TicketsFunction"}},
		{"makefile target builds the wrong folder", func(t *testing.T, root string) {
			edit(t, root, "Makefile", "$(call lambda_build,health)", "$(call lambda_build,tickets)")
		}, []string{"repo.makefile_targets"}},
		{"function folder added", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "functions", "billing", "main.go"), "package main\n")
		}, []string{"repo.function_folders"}},
		{"events file broken", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "events", "driftscan.json"), "{not json")
		}, []string{"repo.events"}},
	}
	base := failed(t, copyCheckout(t))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := copyCheckout(t)
			tc.modify(t, root)
			var got []string
			for _, f := range failed(t, root) {
				if !slices.Contains(base, f) {
					name, _, _ := strings.Cut(f, "\x00")
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("newly failed = %v, want %v", got, tc.want)
			}
			var out bytes.Buffer
			if code := run([]string{"-root", root}, &out, &out); code != 1 {
				t.Errorf("exit %d, want 1 (drift)", code)
			}
		})
	}
}

func TestCannotRun(t *testing.T) {
	cases := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"no template", func(t *testing.T) []string { return []string{"-root", t.TempDir()} }},
		{"template not YAML", func(t *testing.T) []string {
			root := copyCheckout(t)
			writeFile(t, filepath.Join(root, "template.yaml"), "Resources: [unclosed\n")
			return []string{"-root", root}
		}},
		{"unknown flag", func(*testing.T) []string { return []string{"-nope"} }},
		{"stray argument", func(*testing.T) []string { return []string{"extra"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := run(tc.args(t), &out, &out); code != 2 {
				t.Errorf("exit %d, want 2 (could not run):\n%s", code, out.String())
			}
		})
	}
}

func BenchmarkStatic(b *testing.B) {
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		b.Fatal(err)
	}
	bl, err := drift.Current()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if r := Static(root, bl, drift.CodePolicy(), time.Now()); r.Status == drift.Error {
			b.Fatal(r.Error)
		}
	}
}
