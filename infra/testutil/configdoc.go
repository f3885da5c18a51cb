package testutil

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/envconfig"
)

// ConfigRow is one row of README's configuration table.
type ConfigRow struct {
	Names   []string // the variables the row describes
	Default string   // the default cell as written
	ReadBy  []string // function folders, or "all"
}

var envName = regexp.MustCompile("`([A-Z][A-Z0-9_]*[A-Z0-9])`")

// ReadmeConfig returns the rows of the table under README's
// "## Configuration" heading.
func ReadmeConfig(readme string) []ConfigRow {
	_, after, _ := strings.Cut(readme, "\n## Configuration")
	section, _, _ := strings.Cut(after, "\n## ")
	var rows []ConfigRow
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		r := ConfigRow{Default: strings.TrimSpace(cells[1])}
		for _, m := range envName.FindAllStringSubmatch(cells[0], -1) {
			r.Names = append(r.Names, m[1])
		}
		for _, f := range strings.Split(cells[2], ",") {
			r.ReadBy = append(r.ReadBy, strings.TrimSpace(f))
		}
		rows = append(rows, r)
	}
	return rows
}

// lambdaOwn are variables Lambda itself sets; shared/awsconfig reads them.
func lambdaOwn(name string) bool { return strings.HasPrefix(name, "AWS_") }

// ConfigProblems compares what a function reads (vars, from its settings
// Reader) with README's rows for dir and with the environment template.yaml
// gives fn: every variable read is documented for dir with the code's
// default ("required" for a required one), every documented variable is
// read, every variable the template sets is read, and every required one is
// set. Lambda's own AWS_* variables are left to shared/awsconfig.
func ConfigProblems(dir string, vars []envconfig.Var, rows []ConfigRow, templateEnv map[string]string) []string {
	var out []string
	read := map[string]envconfig.Var{}
	for _, v := range vars {
		read[v.Name] = v
	}
	documented := map[string]ConfigRow{}
	for _, r := range rows {
		if !slices.Contains(r.ReadBy, dir) && !slices.Contains(r.ReadBy, "all") {
			continue
		}
		for _, n := range r.Names {
			documented[n] = r
			if _, ok := read[n]; !ok && !lambdaOwn(n) {
				out = append(out, "README says "+dir+" reads "+n+"; it does not")
			}
		}
	}
	for _, v := range vars {
		if lambdaOwn(v.Name) {
			continue
		}
		r, ok := documented[v.Name]
		switch {
		case !ok:
			out = append(out, dir+" reads "+v.Name+"; README's table does not list it for "+dir)
		case v.Required && r.Default != "required":
			out = append(out, v.Name+" is required, README's default says "+r.Default)
		case !v.Required && v.Default != "" && !strings.Contains(r.Default, "`"+v.Default+"`"):
			out = append(out, v.Name+" defaults to "+v.Default+" in the code, README says "+r.Default)
		}
		if v.Required && templateEnv != nil && templateEnv[v.Name] == "" {
			out = append(out, v.Name+" is required but template.yaml does not set it")
		}
	}
	for name := range templateEnv {
		if _, ok := read[name]; !ok {
			out = append(out, "template.yaml sets "+name+" on "+dir+", which does not read it")
		}
	}
	slices.Sort(out)
	return out
}

// CheckConfigDocs runs ConfigProblems for the function built from
// functions/<dir> against the checkout's README.md and template.yaml, and
// fails t for each problem.
func CheckConfigDocs(t *testing.T, dir string, vars []envconfig.Var) {
	t.Helper()
	root, fn := templateFunction(t, dir)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ConfigProblems(dir, vars, ReadmeConfig(string(readme)), fn.Env) {
		t.Error(p)
	}
}

// checkout is the module root and its template.yaml, read once per test
// process: every benchmark asks for its function's settings.
var checkout = sync.OnceValues(func() (repo, error) {
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		return repo{}, err
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), samtemplate.Options{})
	return repo{root, tpl}, err
})

type repo struct {
	root string
	tpl  *samtemplate.Template
}

// templateFunction returns the module root and the function template.yaml
// builds from functions/<dir>. It fails tb when there is none.
func templateFunction(tb testing.TB, dir string) (string, *samtemplate.Function) {
	tb.Helper()
	r, err := checkout()
	if err != nil {
		tb.Fatal(err)
	}
	fn := r.tpl.FunctionByDir(dir)
	if fn == nil {
		tb.Fatalf("template.yaml has no function built from functions/%s", dir)
	}
	return r.root, fn
}
