package samtemplate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Function is one AWS::Serverless::Function with Globals.Function merged in
// and intrinsic functions resolved for local use.
type Function struct {
	LogicalID     string   // e.g. "DriftScanFunction"
	Dir           string   // folder under functions/: lower-case logical id without "Function" ("driftscan")
	Runtime       string   // e.g. "provided.al2023"
	Architectures []string // e.g. ["arm64"]
	Handler       string   // e.g. "bootstrap"
	CodeUri       string   // e.g. "."
	BuildMethod   string   // Metadata.BuildMethod, e.g. "makefile"
	Timeout       int      // seconds; 0 when neither the function nor Globals set it
	MemorySize    int      // MB; 0 when unset
	// Env is Globals' Environment.Variables overlaid with the function's own,
	// every value resolved to a string.
	Env map[string]string
	// LogFormat and LogLevel are LoggingConfig's LogFormat and, for JSON,
	// ApplicationLogLevel ("" when unset): Lambda passes them to the
	// function as AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.
	LogFormat, LogLevel string
	// Routes are the HttpApi events, sorted by path then method.
	Routes []Route
	// Schedules are the Schedule events, sorted by event name.
	Schedules []Schedule
	// Streams are the DynamoDB stream events, sorted by event name.
	Streams []Stream
	// Policies is the function's raw Policies property (intrinsics unresolved).
	Policies any
	// Alias is AutoPublishAlias (the function's or Globals'), "" when unset.
	Alias string
	// ReservedConcurrency is ReservedConcurrentExecutions, nil when unset.
	ReservedConcurrency *int
	// EventInvokeConfig is the raw EventInvokeConfig property, nil when unset.
	EventInvokeConfig map[string]any
}

// Route is one HttpApi event of a function.
type Route struct {
	EventName string // e.g. "Get"
	Method    string // upper case, e.g. "GET", or "ANY"
	Path      string // e.g. "/health"
	// Auth is "AWS_IAM" when the route's Auth.Authorizer is AWS_IAM, else "".
	Auth string
}

// Schedule is one Schedule (EventBridge rule) event.
type Schedule struct {
	EventName  string // e.g. "Hourly"
	Name       string // rule name, resolved; "" when unnamed
	Expression string // e.g. "rate(1 hour)"
	Input      string // resolved Input JSON, "" when unset
}

// Stream is one DynamoDB stream event.
type Stream struct {
	EventName string // e.g. "Stream"
	// Table is the logical id of the table whose StreamArn feeds the event
	// ("" when the Stream property is not a GetAtt).
	Table                   string
	StartingPosition        string
	BatchSize               int
	Patterns                []string // FilterCriteria.Filters[].Pattern, as written
	ReportBatchItemFailures bool     // FunctionResponseTypes has ReportBatchItemFailures
	MaxRetries              int      // MaximumRetryAttempts; -1 when unset (until the record expires)
	BisectOnError           bool     // BisectBatchOnFunctionError
}

// LambdaEnv returns the variables Lambda itself sets from the function's
// configuration (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL), for the
// local hosts to add to Env.
func (f *Function) LambdaEnv() map[string]string {
	m := map[string]string{}
	if f.LogFormat != "" {
		m["AWS_LAMBDA_LOG_FORMAT"] = f.LogFormat
	}
	if f.LogLevel != "" {
		m["AWS_LAMBDA_LOG_LEVEL"] = f.LogLevel
	}
	return m
}

func newFunction(id string, raw, res Resource, globals map[string]any) (Function, error) {
	// The function's properties overlay Globals.Function, top level only, as
	// SAM does for scalars (Environment is merged below).
	p := map[string]any{}
	maps.Copy(p, globals)
	maps.Copy(p, res.Properties)
	fn := Function{
		LogicalID:         id,
		Dir:               strings.ToLower(strings.TrimSuffix(id, "Function")),
		Runtime:           str(p["Runtime"]),
		Handler:           str(p["Handler"]),
		CodeUri:           str(p["CodeUri"]),
		BuildMethod:       str(res.Metadata["BuildMethod"]),
		Timeout:           num(p["Timeout"]),
		MemorySize:        num(p["MemorySize"]),
		Alias:             str(p["AutoPublishAlias"]),
		Env:               map[string]string{},
		Policies:          raw.Properties["Policies"],
		EventInvokeConfig: asMap(raw.Properties["EventInvokeConfig"]),
	}
	if lc := asMap(p["LoggingConfig"]); lc != nil {
		fn.LogFormat = str(lc["LogFormat"])
		if fn.LogFormat == "JSON" {
			fn.LogLevel = str(lc["ApplicationLogLevel"])
		}
	}
	for _, a := range asList(p["Architectures"]) {
		fn.Architectures = append(fn.Architectures, str(a))
	}
	if v, ok := p["ReservedConcurrentExecutions"]; ok {
		n := num(v)
		fn.ReservedConcurrency = &n
	}
	for _, src := range []map[string]any{globals, res.Properties} {
		vars := asMap(asMap(src["Environment"])["Variables"])
		for k, v := range vars {
			fn.Env[k] = Stringify(v)
		}
	}
	events := asMap(res.Properties["Events"])
	rawEvents := asMap(raw.Properties["Events"])
	for _, name := range sortedKeys(events) {
		ev := asMap(events[name])
		props := asMap(ev["Properties"])
		switch typ := str(ev["Type"]); typ {
		case "HttpApi":
			r, err := newRoute(name, props)
			if err != nil {
				return fn, err
			}
			fn.Routes = append(fn.Routes, r)
		case "Schedule":
			if props["Enabled"] != nil || props["State"] != nil {
				return fn, fmt.Errorf("Schedule event %s: Enabled and State are not supported locally (template.yaml's schedules are always on)", name)
			}
			fn.Schedules = append(fn.Schedules, Schedule{EventName: name, Name: str(props["Name"]), Expression: str(props["Schedule"]), Input: Stringify(props["Input"])})
		case "DynamoDB":
			fn.Streams = append(fn.Streams, newStream(name, props, asMap(asMap(rawEvents[name])["Properties"])))
		default:
			return fn, fmt.Errorf("event %s: type %s is not supported locally (template.yaml uses HttpApi, Schedule and DynamoDB)", name, typ)
		}
	}
	slices.SortFunc(fn.Routes, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Method, b.Method))
	})
	return fn, nil
}

func newRoute(name string, props map[string]any) (Route, error) {
	r := Route{EventName: name, Method: strings.ToUpper(str(props["Method"])), Path: str(props["Path"])}
	if r.Method == "" || r.Path == "" {
		return r, fmt.Errorf("HttpApi event %s: Method and Path are required", name)
	}
	if str(asMap(props["Auth"])["Authorizer"]) == "AWS_IAM" {
		r.Auth = "AWS_IAM"
	}
	return r, nil
}

func newStream(name string, props, rawProps map[string]any) Stream {
	s := Stream{
		EventName:        name,
		StartingPosition: str(props["StartingPosition"]),
		BatchSize:        num(props["BatchSize"]),
		MaxRetries:       -1,
		BisectOnError:    props["BisectBatchOnFunctionError"] == true,
	}
	if v, ok := props["MaximumRetryAttempts"]; ok {
		s.MaxRetries = num(v)
	}
	s.Table, _, _ = strings.Cut(str(asMap(rawProps["Stream"])["Fn::GetAtt"]), ".")
	for _, f := range asList(asMap(props["FilterCriteria"])["Filters"]) {
		if pat := str(asMap(f)["Pattern"]); pat != "" {
			s.Patterns = append(s.Patterns, pat)
		}
	}
	for _, t := range asList(props["FunctionResponseTypes"]) {
		if str(t) == "ReportBatchItemFailures" {
			s.ReportBatchItemFailures = true
		}
	}
	return s
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if _, ok := v.(map[string]any); ok {
		return ""
	}
	return Stringify(v)
}

func num(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case string: // a Ref to a Number parameter
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
