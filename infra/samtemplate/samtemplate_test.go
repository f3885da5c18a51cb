package samtemplate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// load reads the project's real template.yaml with the local overrides.
func load(t *testing.T, opts Options) *Template {
	t.Helper()
	path, err := FindTemplate(".")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Load(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestFunctions(t *testing.T) {
	tpl := load(t, Options{Overrides: LocalOverrides("local-tickets")})
	var ids []string
	for _, fn := range tpl.Functions {
		ids = append(ids, fn.LogicalID)
	}
	want := []string{"ClientLogsFunction", "DriftScanFunction", "HealthFunction", "KeepaliveFunction", "TicketsFunction"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("functions = %v, want %v (sorted by logical id)", ids, want)
	}
	tests := []struct {
		id, dir   string
		routes    []Route
		timeout   int
		env       map[string]string
		schedules []string // Expression of each schedule
		streams   int
		reserved  bool
	}{
		{id: "HealthFunction", dir: "health", timeout: 10,
			routes: []Route{{"Get", "GET", "/health", ""}, {"Head", "HEAD", "/health", ""}, {"OpenAPI", "GET", "/openapi.json", ""}},
			env:    map[string]string{"TABLE_NAME": "local-tickets", "SERVICE_NAME": "levqor"}},
		{id: "TicketsFunction", dir: "tickets", timeout: 10, streams: 1, reserved: true,
			routes: []Route{{"Create", "POST", "/api/support/tickets", ""}},
			env:    map[string]string{"TABLE_NAME": "local-tickets", "EVENT_BUS_NAME": "levqor-local"}},
		{id: "KeepaliveFunction", dir: "keepalive", timeout: 60, schedules: []string{"rate(1 hour)"},
			routes: []Route{{"Run", "POST", "/api/ops/keepalive", "AWS_IAM"}, {"Uptime", "GET", "/api/ops/uptime", "AWS_IAM"}, {"Status", "GET", "/status", ""}, {"StatusJson", "GET", "/status.json", ""}},
			env:    map[string]string{"KEEPALIVE_TARGETS": "", "EVENT_BUS_NAME": "levqor-local"}},
		{id: "DriftScanFunction", dir: "driftscan", timeout: 300, schedules: []string{"rate(1 day)"},
			routes: []Route{{"Scan", "GET", "/api/ops/drift", "AWS_IAM"}},
			env:    map[string]string{"STACK_NAME": "levqor-local", "KEEPALIVE_RULE_NAME": "levqor-dev-keepalive-hourly"}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			fn := tpl.Function(tc.id)
			if fn == nil {
				t.Fatalf("no function %s", tc.id)
			}
			if fn.Dir != tc.dir || tpl.FunctionByDir(tc.dir) != fn {
				t.Errorf("Dir = %q, want %q", fn.Dir, tc.dir)
			}
			if fn.Runtime != "provided.al2023" || fn.Handler != "bootstrap" || fn.CodeUri != "." ||
				fn.BuildMethod != "makefile" || !reflect.DeepEqual(fn.Architectures, []string{"arm64"}) {
				t.Errorf("Globals not merged: %q %q %q %q %v", fn.Runtime, fn.Handler, fn.CodeUri, fn.BuildMethod, fn.Architectures)
			}
			if got := fn.LambdaEnv(); !reflect.DeepEqual(got, map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}) {
				t.Errorf("LambdaEnv = %v, want the template's LoggingConfig", got)
			}
			if fn.Timeout != tc.timeout || fn.MemorySize != 256 {
				t.Errorf("Timeout, MemorySize = %d, %d; want %d, 256", fn.Timeout, fn.MemorySize, tc.timeout)
			}
			if !reflect.DeepEqual(fn.Routes, tc.routes) {
				t.Errorf("Routes = %+v, want %+v", fn.Routes, tc.routes)
			}
			for k, v := range tc.env {
				if got, ok := fn.Env[k]; !ok || got != v {
					t.Errorf("Env[%s] = %q (set %v), want %q", k, got, ok, v)
				}
			}
			var exprs []string
			for _, s := range fn.Schedules {
				exprs = append(exprs, s.Expression)
				if !strings.Contains(s.Input, `"source":"levqor.schedule"`) || strings.Contains(s.Input, "${") {
					t.Errorf("schedule %s: input %q not resolved", s.EventName, s.Input)
				}
			}
			if !reflect.DeepEqual(exprs, tc.schedules) {
				t.Errorf("schedules = %v, want %v", exprs, tc.schedules)
			}
			if len(fn.Streams) != tc.streams {
				t.Errorf("%d streams, want %d", len(fn.Streams), tc.streams)
			}
			if (fn.ReservedConcurrency != nil) != tc.reserved {
				t.Errorf("ReservedConcurrency = %v, want set %v", fn.ReservedConcurrency, tc.reserved)
			}
			if fn.Policies == nil {
				t.Error("Policies missing")
			}
		})
	}
}

func TestStream(t *testing.T) {
	fn := load(t, Options{}).Function("TicketsFunction")
	if fn == nil || len(fn.Streams) != 1 {
		t.Fatal("TicketsFunction has no stream event")
	}
	s := fn.Streams[0]
	if s.Table != TableLogicalID || s.StartingPosition != "TRIM_HORIZON" || s.BatchSize != 25 || !s.ReportBatchItemFailures ||
		s.MaxRetries != 185 || !s.BisectOnError {
		t.Errorf("stream = %+v", s)
	}
	if fn.Alias != "live" {
		t.Errorf("TicketsFunction alias = %q, want its AutoPublishAlias live", fn.Alias)
	}
	if len(s.Patterns) != 1 || !strings.Contains(s.Patterns[0], `"prefix":"TICKET#"`) {
		t.Errorf("patterns = %q", s.Patterns)
	}
}

func TestRawPoliciesKeepIntrinsics(t *testing.T) {
	tpl := load(t, Options{Overrides: LocalOverrides("x")})
	fn := tpl.Function("HealthFunction")
	stmts := asList(asMap(asList(fn.Policies)[0])["Statement"])
	res := asMap(asMap(stmts[0])["Resource"])
	if res["Fn::GetAtt"] != "TicketsTable.Arn" {
		t.Errorf("raw policy resource = %v, want the GetAtt left unresolved", res)
	}
	if tpl.Resources[TableLogicalID].DeletionPolicy != "Retain" {
		t.Errorf("DeletionPolicy = %q", tpl.Resources[TableLogicalID].DeletionPolicy)
	}
	if ids := tpl.ResourcesOfType("AWS::Serverless::HttpApi"); !reflect.DeepEqual(ids, []string{"HttpApi"}) {
		t.Errorf("HttpApi resources = %v", ids)
	}
	if _, ok := tpl.Outputs["ApiUrl"]; !ok {
		t.Error("Outputs not loaded")
	}
}

func TestResolution(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		fn, env    string
		want       string
		unresolved bool // TicketsTable left for Unresolved to report
	}{
		{"parameter default", Options{}, "KeepaliveFunction", "WARMUP_ENABLED", "true", true},
		{"parameter override", Options{Parameters: map[string]string{"WarmupEnabled": "false"}}, "KeepaliveFunction", "WARMUP_ENABLED", "false", true},
		{"sub with parameter", Options{Parameters: map[string]string{"Stage": "prod"}}, "DriftScanFunction", "KEEPALIVE_RULE_NAME", "levqor-prod-keepalive-hourly", true},
		{"pseudo parameter default", Options{}, "DriftScanFunction", "STACK_NAME", "levqor-local", true},
		{"pseudo parameter override", Options{Overrides: map[string]string{"AWS::StackName": "s1"}}, "DriftScanFunction", "STACK_NAME", "s1", true},
		{"resource override", Options{Overrides: map[string]string{"TicketsTable": "t1"}}, "HealthFunction", "TABLE_NAME", "t1", false},
		{"unresolved resource shows its name", Options{}, "HealthFunction", "TABLE_NAME", "TicketsTable", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := load(t, tc.opts)
			if got := tpl.Function(tc.fn).Env[tc.env]; got != tc.want {
				t.Errorf("%s = %q, want %q", tc.env, got, tc.want)
			}
			found := false
			for _, u := range tpl.Unresolved {
				found = found || u == "TicketsTable"
			}
			if found != tc.unresolved {
				t.Errorf("Unresolved = %v", tpl.Unresolved)
			}
		})
	}
}

func TestParseSub(t *testing.T) {
	const src = `
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          LITERAL: !Sub 'cost ${!Amount} in ${AWS::Region}'
          STAGED: !Sub '${Thing}-${Stage}'
          ATTR: !GetAtt Thing.Arn
          NUM: 30
          BOOL: true
`
	tpl, err := Parse([]byte(src), Options{Overrides: map[string]string{"Thing": "th", "Thing.Arn": "arn:th"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"LITERAL": "cost ${Amount} in eu-west-2", "STAGED": "th-dev", "ATTR": "arn:th", "NUM": "30", "BOOL": "true"}
	if got := tpl.Functions[0].Env; !reflect.DeepEqual(got, want) {
		t.Errorf("Env = %v, want %v", got, want)
	}
	if tpl.Functions[0].Dir != "fn" || tpl.TableCreateInput("x") != nil {
		t.Errorf("Dir %q, TableCreateInput without a table should be nil", tpl.Functions[0].Dir)
	}
	// The list forms, which template.yaml does not use, are refused.
	for _, v := range []string{`!Sub ['${A}-${Stage}', {A: !Ref Thing}]`, `{"Fn::GetAtt": [Thing, Arn]}`} {
		_, err := Parse([]byte(strings.Replace(src, "!GetAtt Thing.Arn", v, 1)), Options{})
		if err == nil || !strings.Contains(err.Error(), "the list form is not supported locally") {
			t.Errorf("%s: err = %v, want the list form refused", v, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
		params          map[string]string
	}{
		{"not yaml", "Resources: [", "invalid YAML", nil},
		{"no resources", "Parameters: {}", "no Resources", nil},
		{"unknown parameter", "Resources: {A: {Type: X}}", "no such parameter", map[string]string{"Nope": "x"}},
		{"route without path", "Resources: {F: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: HttpApi, Properties: {Method: GET}}}}}}", "Method and Path", nil},
		{"table without key schema", "Resources: {TicketsTable: {Type: AWS::DynamoDB::Table, Properties: {AttributeDefinitions: []}}}", "KeySchema", nil},
		{"table with an index", "Resources: {TicketsTable: {Type: AWS::DynamoDB::Table, Properties: {KeySchema: [{AttributeName: pk, KeyType: HASH}], GlobalSecondaryIndexes: [{IndexName: i}]}}}", "GlobalSecondaryIndexes: not created locally", nil},
		{"resources wrong shape", "Resources: [1, 2]", "template shape", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), Options{Parameters: tc.params})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestTableCreateInput(t *testing.T) {
	tpl := load(t, Options{})
	in := tpl.TableCreateInput("t1")
	if in == nil {
		t.Fatal("nil CreateTableInput")
	}
	if aws.ToString(in.TableName) != "t1" || in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("name %q, billing %q", aws.ToString(in.TableName), in.BillingMode)
	}
	keys := map[string]types.KeyType{}
	for _, k := range in.KeySchema {
		keys[aws.ToString(k.AttributeName)] = k.KeyType
	}
	if !reflect.DeepEqual(keys, map[string]types.KeyType{"pk": types.KeyTypeHash, "sk": types.KeyTypeRange}) {
		t.Errorf("key schema = %v", keys)
	}
	attrs := map[string]types.ScalarAttributeType{}
	for _, a := range in.AttributeDefinitions {
		attrs[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	if !reflect.DeepEqual(attrs, map[string]types.ScalarAttributeType{"pk": "S", "sk": "S"}) {
		t.Errorf("attributes = %v", attrs)
	}
	if in.StreamSpecification == nil || !aws.ToBool(in.StreamSpecification.StreamEnabled) ||
		in.StreamSpecification.StreamViewType != types.StreamViewTypeNewImage {
		t.Errorf("stream = %+v", in.StreamSpecification)
	}
	if got := tpl.TableTTLAttribute(); got != "expires_at" {
		t.Errorf("TTL attribute = %q", got)
	}
}

func TestConcurrentLoad(t *testing.T) {
	// goformation registers YAML tag handlers in a global map on every call;
	// Load must serialise that (run with -race to see it matter).
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			load(t, Options{})
		}()
	}
	wg.Wait()
}

func TestFindModuleRoot(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindModuleRoot(sub)
	if err != nil || got != dir {
		t.Errorf("FindModuleRoot = %q, %v; want %q", got, err, dir)
	}
	if _, err := FindTemplate(sub); err == nil {
		t.Error("FindTemplate found a template.yaml that does not exist")
	}
}

func TestParseEvents(t *testing.T) {
	const src = `
Globals:
  Function:
    Timeout: 5
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth: {EnableIamAuthorizer: true}
  OpsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Events:
        Iam: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /b, Method: get, Auth: {Authorizer: AWS_IAM}}}
        Open: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /a, Method: POST, Auth: {Authorizer: NONE}}}
        Daily: {Type: Schedule, Properties: {Schedule: 'cron(0 6 * * ? *)', Input: '{"k":1}'}}
        Often: {Type: Schedule, Properties: {Name: often, Schedule: rate(5 minutes)}}
`
	tpl, err := Parse([]byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fn := tpl.Function("OpsFunction")
	wantRoutes := []Route{{"Open", "POST", "/a", ""}, {"Iam", "GET", "/b", "AWS_IAM"}}
	if !reflect.DeepEqual(fn.Routes, wantRoutes) {
		t.Errorf("Routes = %+v, want %+v", fn.Routes, wantRoutes)
	}
	wantSchedules := []Schedule{
		{EventName: "Daily", Expression: "cron(0 6 * * ? *)", Input: `{"k":1}`},
		{EventName: "Often", Name: "often", Expression: "rate(5 minutes)"},
	}
	if !reflect.DeepEqual(fn.Schedules, wantSchedules) {
		t.Errorf("Schedules = %+v, want %+v", fn.Schedules, wantSchedules)
	}
	if fn.Timeout != 30 || fn.Dir != "ops" {
		t.Errorf("Timeout %d (function wins over Globals), Dir %q", fn.Timeout, fn.Dir)
	}
	if r, ok := tpl.ResolvedResource("Api"); !ok || r.Type != "AWS::Serverless::HttpApi" {
		t.Errorf("ResolvedResource(Api) = %+v, %v", r, ok)
	}
	if _, ok := tpl.ResolvedResource("Nope"); ok {
		t.Error("ResolvedResource found a resource that does not exist")
	}
	// What template.yaml does not use is refused, naming it.
	for _, tc := range []struct{ from, to, want string }{
		{"Auth: {EnableIamAuthorizer: true}", "Auth: {DefaultAuthorizer: AWS_IAM, EnableIamAuthorizer: true}", "Api: Auth.DefaultAuthorizer is not supported locally"},
		{"Timeout: 5", "Timeout: 5\n  HttpApi:\n    Auth: {DefaultAuthorizer: AWS_IAM}", "Globals.HttpApi: Auth.DefaultAuthorizer is not supported locally"},
		{"{Type: Schedule, Properties: {Schedule: 'cron(0 6 * * ? *)'", "{Type: ScheduleV2, Properties: {ScheduleExpression: 'cron(0 6 * * ? *)'", "event Daily: type ScheduleV2 is not supported locally"},
		{"rate(5 minutes)}", "rate(5 minutes), Enabled: false}", "Schedule event Often: Enabled and State are not supported locally"},
		{"rate(5 minutes)}", "rate(5 minutes), State: DISABLED}", "Schedule event Often: Enabled and State are not supported locally"},
	} {
		_, err := Parse([]byte(strings.Replace(src, tc.from, tc.to, 1)), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.to, err, tc.want)
		}
	}
}
