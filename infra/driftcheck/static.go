package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/awsdrift"
	"github.com/levqor/serverless/shared/drift"
)

// Static is the static half of the drift scan, on a checkout at root: the
// template, the function folders, the Makefile's build targets, the events
// files and the policy values in code against baseline b. Its checks carry
// the live scan's names where they guard the same thing (routes,
// keepalive.rule, table.*, functions.*, policy.*), so a report from CI and
// one from the running system read alike. It returns an error report (exit
// 2) when the template cannot be read.
func Static(root string, b drift.Baseline, code drift.Code, now time.Time) drift.Report {
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), samtemplate.Options{})
	if err != nil {
		return drift.ErrorReport(b.Version, now, err)
	}
	mk, mkErr := readMakefile(filepath.Join(root, "Makefile"))
	checks := drift.PolicyChecks(b, code)
	checks = append(checks, templateChecks(tpl, b)...)
	checks = append(checks, folderCheck(root, b), makefileCheck(mk, mkErr, b), eventsCheck(root, b))
	return drift.NewReport(b.Version, now, checks)
}

// templateChecks compares template.yaml's functions, routes, keepalive
// schedule and table with the baseline.
func templateChecks(tpl *samtemplate.Template, b drift.Baseline) []drift.Check {
	var out []drift.Check
	var ids, routes []string
	for _, fn := range tpl.Functions {
		ids = append(ids, fn.LogicalID)
		for _, r := range fn.Routes {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	var want []string
	for _, f := range b.Functions {
		want = append(want, f.LogicalID)
		name := "functions." + f.LogicalID
		fn := tpl.Function(f.LogicalID)
		if fn == nil {
			out = append(out, drift.Check{Name: name, Category: drift.CategoryFunctions, Status: drift.Fail, Detail: "missing from template.yaml"})
			continue
		}
		out = append(out, drift.Compare(name, drift.CategoryFunctions,
			fmt.Sprintf("%s %s handler bootstrap build makefile dir %s", f.Runtime, f.Architecture, f.Dir),
			fmt.Sprintf("%s %s handler %s build %s dir %s", fn.Runtime, strings.Join(fn.Architectures, ","), fn.Handler, fn.BuildMethod, fn.Dir)))
	}
	out = append(out,
		drift.CompareSet("functions", drift.CategoryFunctions, want, ids),
		drift.CompareSet("routes", drift.CategoryRoutes, b.Routes, routes),
		keepaliveCheck(tpl, b))
	return append(out, tableChecks(tpl, b)...)
}

func keepaliveCheck(tpl *samtemplate.Template, b drift.Baseline) drift.Check {
	const name = "keepalive.rule"
	fn := tpl.Function(b.Keepalive.Function)
	if fn == nil {
		return drift.Check{Name: name, Category: drift.CategoryKeepalive, Status: drift.Fail, Detail: b.Keepalive.Function + " missing from template.yaml"}
	}
	var got []string
	for _, s := range fn.Schedules { // always enabled: samtemplate refuses Enabled and State
		got = append(got, "ENABLED "+s.Expression)
	}
	want := "ENABLED " + b.Keepalive.Schedule
	c := drift.Check{Name: name, Category: drift.CategoryKeepalive, Status: drift.Fail, Expected: want, Actual: strings.Join(got, ", ")}
	if slices.Contains(got, want) {
		c.Status = drift.Pass
	}
	return c
}

func tableChecks(tpl *samtemplate.Template, b drift.Baseline) []drift.Check {
	in := tpl.TableCreateInput("drift")
	res, ok := tpl.Resources[b.Table.LogicalID]
	if in == nil || !ok {
		return []drift.Check{{Name: "table.key_schema", Category: drift.CategoryTable, Status: drift.Fail, Detail: b.Table.LogicalID + " missing from template.yaml"}}
	}
	pitr := "DISABLED"
	if spec, _ := res.Properties["PointInTimeRecoverySpecification"].(map[string]any); spec["PointInTimeRecoveryEnabled"] == true {
		pitr = "ENABLED"
	}
	ttl := "DISABLED"
	if a := tpl.TableTTLAttribute(); a != "" {
		ttl = "ENABLED " + a
	}
	return []drift.Check{
		drift.Compare("table.key_schema", drift.CategoryTable, drift.KeySchemaString(b.Table.KeySchema),
			drift.KeySchemaString(awsdrift.KeysFrom(in.KeySchema, in.AttributeDefinitions))),
		drift.Compare("table.pitr", drift.CategoryTable, b.Table.PITRStatus(), pitr),
		drift.Compare("table.ttl", drift.CategoryTable, b.Table.TTLStatus(), ttl),
	}
}

// folderCheck: functions/ holds exactly the baseline's function folders,
// each a Go package with a main.go.
func folderCheck(root string, b drift.Baseline) drift.Check {
	var want, got []string
	for _, f := range b.Functions {
		want = append(want, f.Dir)
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return drift.Check{Name: "repo.function_folders", Category: drift.CategoryRepo, Status: drift.Fail, Detail: err.Error()}
	}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			got = append(got, e.Name())
		}
	}
	return drift.CompareSet("repo.function_folders", drift.CategoryRepo, want, got)
}

// readMakefile returns what the static scan reads from the Makefile: each
// build-* target's recipe, by target.
func readMakefile(path string) (map[string]string, error) {
	mk := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return mk, err
	}
	defer f.Close()
	target := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "\t") && target != "":
			mk[target] += line + "\n"
		case strings.HasPrefix(line, "build-") && strings.Contains(line, ":"):
			target, _, _ = strings.Cut(line, ":")
			mk[target] += ""
		default:
			target = ""
		}
	}
	return mk, sc.Err()
}

// makefileCheck: the Makefile has a build-<LogicalId> target (what sam build
// calls) for every baseline function, building that function's folder.
func makefileCheck(mk map[string]string, err error, b drift.Baseline) drift.Check {
	const name = "repo.makefile_targets"
	if err != nil {
		return drift.Check{Name: name, Category: drift.CategoryRepo, Status: drift.Fail, Detail: err.Error()}
	}
	var want, got []string
	for _, fn := range b.Functions {
		t := "build-" + fn.LogicalID
		want = append(want, t+" -> "+fn.Dir)
		if r, ok := mk[t]; ok {
			got = append(got, t+" -> "+builtDir(r))
		}
	}
	return drift.CompareSet(name, drift.CategoryRepo, want, got)
}

var dirInRecipe = regexp.MustCompile(`(?:functions/|lambda_build,\s*)([a-z0-9_-]+)`)

// builtDir is the function folder a recipe builds, "?" when none is named.
func builtDir(recipe string) string {
	if m := dirInRecipe.FindStringSubmatch(recipe); m != nil {
		return m[1]
	}
	return "?"
}

// eventsCheck: every function has at least one sample event
// (events/<dir>*.json), and every events file is valid JSON.
func eventsCheck(root string, b drift.Baseline) drift.Check {
	const name = "repo.events"
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil || len(files) == 0 {
		return drift.Check{Name: name, Category: drift.CategoryRepo, Status: drift.Fail, Detail: "no events/*.json"}
	}
	var want, got, broken []string
	for _, f := range b.Functions {
		want = append(want, f.Dir)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil || !json.Valid(data) {
			broken = append(broken, filepath.Base(path))
			continue
		}
		base := strings.TrimSuffix(filepath.Base(path), ".json")
		for _, f := range b.Functions {
			if base == f.Dir || strings.HasPrefix(base, f.Dir+"-") {
				got = append(got, f.Dir)
			}
		}
	}
	c := drift.CompareSet(name, drift.CategoryRepo, want, got)
	if len(broken) > 0 {
		c.Status = drift.Fail
		c.Detail = strings.TrimPrefix(c.Detail+"; not JSON: "+strings.Join(broken, ", "), "; ")
	}
	return c
}
