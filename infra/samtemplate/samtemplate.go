// Package samtemplate reads the project's AWS SAM template.yaml for local use:
// the local gateway (infra/devstack), `make invoke`, DynamoDB Local tables in
// tests (infra/dynamolocal) and the template tests all read the template
// through it, so routes, environment variables, schedules and the table
// schema have exactly one source of truth.
//
// The template is read with goformation's intrinsics.ProcessYAML into plain
// maps rather than goformation's typed SAM model, because the typed model
// rejects properties it does not know (HttpApi Auth.EnableIamAuthorizer).
//
// Two views are kept:
//   - Resources, Outputs, Parameters and Globals are raw: intrinsic functions
//     stay in their long JSON form ({"Fn::GetAtt": ...}, {"Ref": ...}), which is
//     what checks over the template (IAM policies, outputs) need to see.
//   - Functions is resolved for running locally: Ref, Fn::GetAtt and Fn::Sub
//     are answered from Options.Overrides, the template's parameter defaults
//     (or Options.Parameters) and local pseudo parameters (region eu-west-2);
//     Fn::If takes the branch of its condition, the template's Conditions
//     being evaluated from the same parameter values (see Conditions).
//
// Typical use:
//
//	tpl, err := samtemplate.Load("template.yaml", samtemplate.Options{
//		Overrides: samtemplate.LocalOverrides("levqor-local-tickets"),
//	})
//	for _, fn := range tpl.Functions { fmt.Println(fn.LogicalID, fn.Dir, fn.Routes, fn.Env) }
//	in := tpl.TableCreateInput("my-table") // *dynamodb.CreateTableInput from TicketsTable
package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// TableLogicalID is the logical id of the single tickets table in template.yaml.
const TableLogicalID = "TicketsTable"

// Options says how intrinsic functions resolve for local use.
type Options struct {
	// Overrides answers Ref and ${Name} (key "Name", e.g. "TicketsTable",
	// "EventBus", "HttpApi", "AWS::Region") and Fn::GetAtt and ${Name.Attr}
	// (key "Name.Attr", e.g. "TicketsTable.Arn"). It wins over everything else.
	Overrides map[string]string
	// Parameters replaces template parameter defaults (e.g. "Stage": "prod").
	Parameters map[string]string
}

// LocalOverrides returns the overrides the local stack uses: the table under
// the given name, the bus "levqor-local", the API id "local", the stack name
// "levqor-local" and region eu-west-2. Callers may add or replace keys.
func LocalOverrides(tableName string) map[string]string {
	m := maps.Clone(pseudoDefaults) // the local stack's own answers
	maps.Copy(m, map[string]string{TableLogicalID: tableName, "EventBus": "levqor-local", "HttpApi": "local", "DeadLetterQueue": "levqor-local-dlq"})
	return m
}

// pseudoDefaults answers pseudo parameters that Overrides leaves out, so
// resolved values never carry goformation's us-east-1 placeholders.
var pseudoDefaults = map[string]string{
	"AWS::Region":    "eu-west-2",
	"AWS::AccountId": "000000000000",
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
	"AWS::StackName": "levqor-local",
	"AWS::StackId":   "arn:aws:cloudformation:eu-west-2:000000000000:stack/levqor-local/local",
}

// Resource is one raw template resource; intrinsic functions are left in
// their long JSON form.
type Resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	Metadata       map[string]any `json:"Metadata"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

// Template is a loaded template.yaml.
type Template struct {
	// Transform is the template's Transform (AWS::Serverless-2016-10-31).
	Transform any
	// Globals and Outputs are the raw sections.
	Globals map[string]map[string]any
	Outputs map[string]map[string]any
	// Resources holds every resource by logical id, raw.
	Resources map[string]Resource
	// Conditions holds the value of each of the template's conditions for
	// the parameter values in use (Options.Parameters, else defaults).
	// Only parameter-only conditions are supported: the template's
	// features (alarm e-mail, provisioned concurrency, the JWT authorizer)
	// are switched by parameters alone.
	Conditions map[string]bool
	// Functions holds every AWS::Serverless::Function, sorted by logical id,
	// with Globals merged in and values resolved for local use.
	Functions []Function
	// Unresolved lists the Ref/GetAtt names that neither Overrides, parameters
	// nor pseudo parameters answered; they resolve to their own name
	// ("EventBus", "TicketsTable.Arn") so the gap is visible, not empty.
	Unresolved []string

	resolved map[string]Resource
}

// template mirrors the top level of the processed JSON.
type template struct {
	Transform  any                       `json:"Transform"`
	Parameters map[string]map[string]any `json:"Parameters"`
	Globals    map[string]map[string]any `json:"Globals"`
	Outputs    map[string]map[string]any `json:"Outputs"`
	Resources  map[string]Resource       `json:"Resources"`
	Conditions map[string]any            `json:"Conditions"`
}

// processMu serialises ProcessYAML: it registers its YAML tag handlers in a
// package-level map on every call, which is not safe for concurrent use.
var processMu sync.Mutex

// Load reads and parses the template at path. It returns an error when the
// file cannot be read, is not valid YAML, has no Resources, when
// Options.Parameters names a parameter the template lacks, a condition is
// not parameter-only (or refers to an unknown parameter), an Fn::If names
// an unknown condition, or holds a function or table whose properties have
// the wrong shape (the message names the resource and property). What
// template.yaml does not use is refused, naming it: Fn::Or and Condition
// references in conditions, the list forms of Fn::Sub and Fn::GetAtt,
// Auth.DefaultAuthorizer, event types other than HttpApi, Schedule and
// DynamoDB, and a schedule's Enabled or State.
func Load(path string, opts Options) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	tpl, err := Parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %s: %w", path, err)
	}
	return tpl, nil
}

// Parse is Load on template bytes already read. It returns the same errors.
func Parse(data []byte, opts Options) (*Template, error) {
	raw, err := process(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, err
	}
	conds, err := evalConditions(raw.Conditions, func(name string) (string, bool) {
		return parameterValue(raw.Parameters, opts, name)
	})
	if err != nil {
		return nil, err
	}
	r := &resolver{opts: opts, params: raw.Parameters, unresolved: map[string]bool{}, conditions: conds}
	res, err := process(data, &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Ref":        r.ref,
			"Fn::GetAtt": r.getAtt,
			"Fn::Sub":    r.sub,
			"Fn::If":     r.fnIf,
		},
	})
	if err != nil {
		return nil, err
	}
	if len(r.errs) > 0 {
		return nil, errors.New(strings.Join(r.errs, "; "))
	}
	for id, rs := range res.Resources {
		rs.Properties, _ = dropNoValue(rs.Properties).(map[string]any)
		res.Resources[id] = rs
	}
	if len(raw.Resources) == 0 {
		return nil, errors.New("no Resources")
	}
	for _, name := range sortedKeys(opts.Parameters) {
		if _, ok := raw.Parameters[name]; !ok {
			return nil, fmt.Errorf("parameter override %s: no such parameter", name)
		}
	}
	t := &Template{
		Transform:  raw.Transform,
		Globals:    raw.Globals,
		Outputs:    raw.Outputs,
		Resources:  raw.Resources,
		Conditions: conds,
		resolved:   res.Resources,
	}
	const noDefaultAuth = "Auth.DefaultAuthorizer is not supported locally (template.yaml sets Auth.Authorizer on each route)"
	if asMap(res.Globals["HttpApi"]["Auth"])["DefaultAuthorizer"] != nil {
		return nil, errors.New("Globals.HttpApi: " + noDefaultAuth)
	}
	for _, id := range sortedKeys(res.Resources) {
		if r := res.Resources[id]; r.Type == "AWS::Serverless::HttpApi" && asMap(r.Properties["Auth"])["DefaultAuthorizer"] != nil {
			return nil, fmt.Errorf("%s: %s", id, noDefaultAuth)
		}
		if res.Resources[id].Type != "AWS::Serverless::Function" {
			continue
		}
		fn, err := newFunction(id, raw.Resources[id], res.Resources[id], res.Globals["Function"])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		t.Functions = append(t.Functions, fn)
	}
	if _, ok := raw.Resources[TableLogicalID]; ok {
		if _, err := t.table("check"); err != nil {
			return nil, fmt.Errorf("%s: %w", TableLogicalID, err)
		}
	}
	t.Unresolved = sortedKeys(r.unresolved)
	return t, nil
}

// dropNoValue removes what resolved to Ref AWS::NoValue (nil), as
// CloudFormation does: the map key, or the list element, is not there.
func dropNoValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNoValue(e)
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if e != nil {
				out = append(out, dropNoValue(e))
			}
		}
		return out
	}
	return v
}

func process(data []byte, po *intrinsics.ProcessorOptions) (*template, error) {
	processMu.Lock()
	out, err := intrinsics.ProcessYAML(data, po)
	processMu.Unlock()
	if err != nil {
		return nil, err
	}
	var t template
	if err := json.Unmarshal(out, &t); err != nil {
		return nil, fmt.Errorf("template shape: %w", err)
	}
	return &t, nil
}

// Function returns the function with the given logical id, or nil.
func (t *Template) Function(logicalID string) *Function {
	return t.find(func(f *Function) bool { return f.LogicalID == logicalID })
}

// FunctionByDir returns the function built from functions/<dir>, or nil.
func (t *Template) FunctionByDir(dir string) *Function {
	return t.find(func(f *Function) bool { return f.Dir == dir })
}

func (t *Template) find(match func(*Function) bool) *Function {
	if i := slices.IndexFunc(t.Functions, func(f Function) bool { return match(&f) }); i >= 0 {
		return &t.Functions[i]
	}
	return nil
}

// ResolvedResource returns a resource with intrinsic functions resolved the
// way Functions are, and false when there is no such resource.
func (t *Template) ResolvedResource(logicalID string) (Resource, bool) {
	r, ok := t.resolved[logicalID]
	return r, ok
}

// ResourcesOfType returns the logical ids of every resource of the given
// type (e.g. "AWS::DynamoDB::Table"), sorted.
func (t *Template) ResourcesOfType(typ string) []string {
	var ids []string
	for _, id := range sortedKeys(t.Resources) {
		if t.Resources[id].Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// resolver answers Ref, Fn::GetAtt and Fn::Sub from Options, parameter
// defaults and pseudo parameters.
type resolver struct {
	opts       Options
	params     map[string]map[string]any // the raw Parameters section
	unresolved map[string]bool
	conditions map[string]bool // evaluated Conditions, for Fn::If
	errs       []string        // what could not be resolved, for Parse to return
}

func (r *resolver) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// parameterValue is a parameter's value as CloudFormation gives it, a
// string: Options.Parameters, else the template default; or a pseudo
// parameter's (Overrides, else the local default). It returns false when
// name is neither or has no value.
func parameterValue(params map[string]map[string]any, opts Options, name string) (string, bool) {
	if p, ok := params[name]; ok {
		if v, ok := opts.Parameters[name]; ok {
			return v, true
		}
		d, ok := p["Default"]
		return Stringify(d), ok
	}
	if v, ok := opts.Overrides[name]; ok && strings.HasPrefix(name, "AWS::") {
		return v, true
	}
	v, ok := pseudoDefaults[name]
	return v, ok
}

func (r *resolver) lookup(name string) any {
	if v, ok := r.opts.Overrides[name]; ok {
		return v
	}
	if name == "AWS::NoValue" {
		return nil
	}
	if v, ok := parameterValue(r.params, r.opts, name); ok {
		return v
	}
	r.unresolved[name] = true
	return name
}

func (r *resolver) ref(_ string, input any, _ any) any {
	name, ok := input.(string)
	if !ok {
		return nil
	}
	return r.lookup(name)
}

// getAtt answers !GetAtt Name.Attr, the form template.yaml writes.
func (r *resolver) getAtt(_ string, input any, _ any) any {
	name, ok := input.(string)
	if !ok {
		r.fail("Fn::GetAtt %v: the list form is not supported locally (template.yaml writes !GetAtt Name.Attr)", input)
		return nil
	}
	return r.lookup(name)
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub implements Fn::Sub's string form, with ${!Literal} escapes, which
// goformation's own handler does not resolve against our overrides.
func (r *resolver) sub(_ string, input any, _ any) any {
	src, ok := input.(string)
	if !ok {
		r.fail("Fn::Sub %v: the list form is not supported locally (template.yaml uses only the string form)", input)
		return nil
	}
	return subVar.ReplaceAllStringFunc(src, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		return Stringify(r.lookup(name))
	})
}

// Stringify renders a resolved template value as an environment variable
// value: strings as they are, numbers without exponent, booleans as
// true/false, nil as "", anything else as JSON.
func Stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// FindModuleRoot walks up from dir to the directory holding go.mod. It
// returns an error when there is none up to the file system root.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("samtemplate: no go.mod above %s", dir)
		}
		d = parent
	}
}

// FindTemplate returns the path of template.yaml at the module root above
// dir (tests pass "."). It returns FindModuleRoot's error, or an error when
// the root has no template.yaml.
func FindTemplate(dir string) (string, error) {
	root, err := FindModuleRoot(dir)
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "template.yaml")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("samtemplate: %w", err)
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
