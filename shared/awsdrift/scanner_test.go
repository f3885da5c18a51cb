package awsdrift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/awsbus"
	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/monitor"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

// want is the expected outcome of one named check.
type want struct {
	status drift.Status
	detail string // substring of the detail; "" means not checked
}

func baseline(t testing.TB) drift.Baseline {
	t.Helper()
	b, err := drift.Current()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func allFunctionNames(b drift.Baseline) map[string]string {
	m := map[string]string{}
	for _, f := range b.Functions {
		m[f.LogicalID] = fnName(f.LogicalID)
	}
	return m
}

func assertChecks(t *testing.T, got []drift.Check, wants map[string]want) {
	t.Helper()
	byName := map[string]drift.Check{}
	for _, c := range got {
		if _, dup := byName[c.Name]; dup {
			t.Errorf("check %s reported twice", c.Name)
		}
		byName[c.Name] = c
		if c.Category == "" {
			t.Errorf("check %s has no category", c.Name)
		}
	}
	for name, w := range wants {
		c, ok := byName[name]
		if !ok {
			t.Errorf("check %s missing; got %+v", name, got)
			continue
		}
		if c.Status != w.status || !strings.Contains(c.Detail, w.detail) {
			t.Errorf("%s = %s %q (expected %q, actual %q); want %s with detail containing %q",
				name, c.Status, c.Detail, c.Expected, c.Actual, w.status, w.detail)
		}
	}
}

func TestKeepaliveRuleCheck(t *testing.T) {
	ka := fnARN("KeepaliveFunction")
	cases := []struct {
		name    string
		replies map[string][]reply
		want    want
	}{
		{"in sync", map[string][]reply{
			"DescribeRule":      {describeRule("ENABLED", "rate(1 hour)")},
			"ListTargetsByRule": {listTargets(ka)},
		}, want{drift.Pass, ""}},
		{"in sync, target on the second page", map[string][]reply{
			"DescribeRule": {describeRule("ENABLED", "rate(1 hour)")},
			"ListTargetsByRule": {
				awsJSON("1.1", `{"Targets":[{"Id":"other","Arn":"arn:aws:sqs:eu-west-2:123456789012:q"}],"NextToken":"page2"}`),
				listTargets(ka + ":live"),
			},
		}, want{drift.Pass, ""}},
		{"disabled", map[string][]reply{
			"DescribeRule":      {describeRule("DISABLED", "rate(1 hour)")},
			"ListTargetsByRule": {listTargets(ka)},
		}, want{drift.Fail, "rule is DISABLED"}},
		{"schedule changed", map[string][]reply{
			"DescribeRule":      {describeRule("ENABLED", "rate(6 hours)")},
			"ListTargetsByRule": {listTargets(ka)},
		}, want{drift.Fail, "schedule differs"}},
		{"targets another function", map[string][]reply{
			"DescribeRule":      {describeRule("ENABLED", "rate(1 hour)")},
			"ListTargetsByRule": {listTargets(fnARN("HealthFunction"))},
		}, want{drift.Fail, "keepalive function is not a target"}},
		{"rule missing", map[string][]reply{
			"DescribeRule": {awsJSONError("1.1", 400, "ResourceNotFoundException", "Rule levqor-dev-keepalive-hourly does not exist on EventBus default.")},
		}, want{drift.Fail, "missing: Rule levqor-dev-keepalive-hourly does not exist"}},
		{"throttled", map[string][]reply{
			"DescribeRule": {awsJSONError("1.1", 400, "ThrottlingException", "Rate exceeded")},
		}, want{drift.Skip, "events unavailable: ThrottlingException: Rate exceeded"}},
		{"slow", map[string][]reply{
			"DescribeRule": {slow(describeRule("ENABLED", "rate(1 hour)"))},
		}, want{drift.Skip, "timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, targetOp, tc.replies)
			b := baseline(t)
			s := &Scanner{Baseline: b, Rules: eventsClient(f.URL()), KeepaliveRule: "levqor-dev-keepalive-hourly", FunctionNames: allFunctionNames(b)}
			ctx, cancel := withBudget(300 * time.Millisecond)
			defer cancel()
			assertChecks(t, s.checkRule(ctx), map[string]want{"keepalive.rule": tc.want})
		})
	}
}

func TestFunctionChecks(t *testing.T) {
	inSync := func() map[string][]reply {
		m := map[string][]reply{}
		for _, id := range []string{"HealthFunction", "TicketsFunction", "KeepaliveFunction", "DriftScanFunction", "ClientLogsFunction"} {
			m["GetFunctionConfiguration:"+fnName(id)] = []reply{fnConfig(id, "provided.al2023", "arm64", testVersion)}
		}
		return m
	}
	with := func(id string, r reply) map[string][]reply {
		m := inSync()
		m["GetFunctionConfiguration:"+fnName(id)] = []reply{r}
		return m
	}
	cases := []struct {
		name    string
		replies map[string][]reply
		want    map[string]want
	}{
		{"in sync", inSync(), map[string]want{
			"functions.HealthFunction": {drift.Pass, ""}, "functions.TicketsFunction": {drift.Pass, ""},
			"functions.KeepaliveFunction": {drift.Pass, ""}, "functions.DriftScanFunction": {drift.Pass, ""},
			"functions.ClientLogsFunction": {drift.Pass, ""},
		}},
		{"runtime drifted", with("HealthFunction", fnConfig("HealthFunction", "provided.al2", "arm64", testVersion)),
			map[string]want{"functions.HealthFunction": {drift.Fail, fnName("HealthFunction")}, "functions.TicketsFunction": {drift.Pass, ""}}},
		{"architecture drifted", with("TicketsFunction", fnConfig("TicketsFunction", "provided.al2023", "x86_64", testVersion)),
			map[string]want{"functions.TicketsFunction": {drift.Fail, ""}}},
		{"function missing", with("TicketsFunction", restError(404, "ResourceNotFoundException",
			"Function not found: "+fnARN("TicketsFunction"))),
			map[string]want{"functions.TicketsFunction": {drift.Fail, "missing: Function not found"}, "functions.HealthFunction": {drift.Pass, ""}}},
		{"throttled", with("HealthFunction", restError(429, "TooManyRequestsException", "Rate exceeded")),
			map[string]want{"functions.HealthFunction": {drift.Skip, "lambda unavailable: TooManyRequestsException"}}},
		{"slow", with("DriftScanFunction", slow(fnConfig("DriftScanFunction", "provided.al2023", "arm64", testVersion))),
			map[string]want{"functions.DriftScanFunction": {drift.Skip, "timeout"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, lambdaOp, tc.replies)
			b := baseline(t)
			s := &Scanner{Baseline: b, Functions: lambdaClient(f.URL()), FunctionNames: allFunctionNames(b), Version: testVersion}
			ctx, cancel := withBudget(300 * time.Millisecond)
			defer cancel()
			assertChecks(t, s.checkFunctions(ctx), tc.want)
		})
	}
	t.Run("name not configured", func(t *testing.T) {
		b := baseline(t)
		f := newFake(t, lambdaOp, inSync())
		names := allFunctionNames(b)
		delete(names, "TicketsFunction")
		s := &Scanner{Baseline: b, Functions: lambdaClient(f.URL()), FunctionNames: names, Version: testVersion}
		assertChecks(t, s.checkFunctions(context.Background()), map[string]want{
			"functions.TicketsFunction": {drift.Skip, "FUNCTION_NAMES"}, "functions.HealthFunction": {drift.Pass, ""},
		})
	})
}

func TestRoutesCheck(t *testing.T) {
	b := baseline(t)
	first, rest := b.Routes[:3], b.Routes[3:]
	cases := []struct {
		name    string
		apiID   string
		replies map[string][]reply
		want    want
	}{
		{"in sync over two pages", "a1b2c3", map[string][]reply{
			"GetRoutes:a1b2c3:":     {routesPage("tok2", first...)},
			"GetRoutes:a1b2c3:tok2": {routesPage("", rest...)},
		}, want{drift.Pass, ""}},
		{"missing and extra routes", "a1b2c3", map[string][]reply{
			"GetRoutes:a1b2c3:": {routesPage("", append(append([]string{}, b.Routes[1:]...), "ANY /{proxy+}")...)},
		}, want{drift.Fail, "missing: " + b.Routes[0] + "; extra: ANY /{proxy+}"}},
		{"api missing", "gone", map[string][]reply{
			"GetRoutes:gone:": {restError(404, "NotFoundException", "Invalid API identifier specified 123456789012:gone")},
		}, want{drift.Fail, "missing: Invalid API identifier"}},
		{"throttled", "a1b2c3", map[string][]reply{
			"GetRoutes:a1b2c3:": {restError(429, "TooManyRequestsException", "Too Many Requests")},
		}, want{drift.Skip, "apigateway unavailable: TooManyRequestsException"}},
		{"slow", "a1b2c3", map[string][]reply{
			"GetRoutes:a1b2c3:": {slow(routesPage("", b.Routes...))},
		}, want{drift.Skip, "timeout"}},
		{"api id unknown", "", nil, want{drift.Skip, "api id unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, routesOp, tc.replies)
			s := &Scanner{Baseline: b, Routes: routesClient(f.URL())}
			ctx, cancel := withBudget(300 * time.Millisecond)
			defer cancel()
			assertChecks(t, s.checkRoutes(ctx, tc.apiID), map[string]want{"routes": tc.want})
		})
	}
}

func TestHealthCheck(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/dev"
	closed.Close()
	cases := []struct {
		name string
		url  func(t *testing.T) string
		want want
	}{
		{"ok", func(t *testing.T) string {
			return healthServer(t, 200, `{"status":"ok","version":"1.0.0","build":"abc1234","timestamp":1700000000,"uptime_seconds":12}`)
		}, want{drift.Pass, ""}},
		{"other version", func(t *testing.T) string {
			return healthServer(t, 200, `{"status":"ok","version":"0.9.0","build":"abc1234","timestamp":1700000000,"uptime_seconds":12}`)
		}, want{drift.Fail, "/health"}},
		{"degraded", func(t *testing.T) string {
			return healthServer(t, 503, `{"status":"degraded","version":"1.0.0","build":"dev","timestamp":1700000000,"uptime_seconds":1}`)
		}, want{drift.Fail, ""}},
		{"not health JSON", func(t *testing.T) string { return healthServer(t, 200, `<html>`) }, want{drift.Fail, "not health JSON"}},
		{"unreachable", func(*testing.T) string { return closedURL }, want{drift.Skip, "health unreachable"}},
		{"url unknown", func(*testing.T) string { return "" }, want{drift.Skip, "api url unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Scanner{Baseline: baseline(t), HTTP: http.DefaultClient, Version: testVersion}
			assertChecks(t, s.checkHealth(context.Background(), tc.url(t)), map[string]want{"health": tc.want})
		})
	}
}

func TestStackCheck(t *testing.T) {
	cases := []struct {
		name    string
		replies map[string][]reply
		want    want
	}{
		{"in sync after polling", map[string][]reply{
			"DetectStackDrift": {detectStarted},
			"DescribeStackDriftDetectionStatus": {
				detectionStatus("DETECTION_IN_PROGRESS", "UNKNOWN"),
				detectionStatus("DETECTION_COMPLETE", "IN_SYNC"),
			},
		}, want{drift.Pass, ""}},
		{"drifted", map[string][]reply{
			"DetectStackDrift":                  {detectStarted},
			"DescribeStackDriftDetectionStatus": {detectionStatus("DETECTION_COMPLETE", "DRIFTED")},
			"DescribeStackResourceDrifts":       {resourceDrifts},
		}, want{drift.Fail, "1 drifted resources: TicketsTable (MODIFIED)"}},
		{"detection failed", map[string][]reply{
			"DetectStackDrift":                  {detectStarted},
			"DescribeStackDriftDetectionStatus": {detectionStatus("DETECTION_FAILED", "UNKNOWN")},
		}, want{drift.Skip, "detection DETECTION_FAILED"}},
		{"stack missing", map[string][]reply{
			"DetectStackDrift": {queryError(400, "ValidationError", "Stack with id levqor-dev does not exist")},
		}, want{drift.Fail, "missing: Stack with id levqor-dev does not exist"}},
		{"throttled", map[string][]reply{
			"DetectStackDrift": {queryError(400, "Throttling", "Rate exceeded")},
		}, want{drift.Skip, "cloudformation unavailable: Throttling: Rate exceeded"}},
		{"slow detection", map[string][]reply{
			"DetectStackDrift":                  {detectStarted},
			"DescribeStackDriftDetectionStatus": {detectionStatus("DETECTION_IN_PROGRESS", "UNKNOWN")},
		}, want{drift.Skip, "timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, queryOp, tc.replies)
			s := &Scanner{Baseline: baseline(t), Stack: cfnClient(f.URL()), StackName: "levqor-dev", PollInterval: 10 * time.Millisecond}
			ctx, cancel := withBudget(500 * time.Millisecond)
			defer cancel()
			got := s.checkStack(ctx)
			assertChecks(t, got, map[string]want{"stack": tc.want})
			if body := f.body("DetectStackDrift", 0); !strings.Contains(body, "StackName=levqor-dev") {
				t.Errorf("DetectStackDrift request = %q, want StackName=levqor-dev", body)
			}
		})
	}
	t.Run("drifted resources carry property differences", func(t *testing.T) {
		f := newFake(t, queryOp, map[string][]reply{
			"DetectStackDrift":                  {detectStarted},
			"DescribeStackDriftDetectionStatus": {detectionStatus("DETECTION_COMPLETE", "DRIFTED")},
			"DescribeStackResourceDrifts":       {resourceDrifts},
		})
		s := &Scanner{Baseline: baseline(t), Stack: cfnClient(f.URL()), StackName: "levqor-dev"}
		got := s.checkStack(context.Background())
		want := drift.ResourceDrift{LogicalID: "TicketsTable", Type: "AWS::DynamoDB::Table", Status: "MODIFIED",
			Differences: []drift.PropertyDifference{{Path: "/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled", Expected: "true", Actual: "false", Type: "NOT_EQUAL"}}}
		if len(got) != 1 || len(got[0].Resources) != 1 || got[0].Resources[0].LogicalID != want.LogicalID ||
			len(got[0].Resources[0].Differences) != 1 || got[0].Resources[0].Differences[0] != want.Differences[0] {
			t.Fatalf("resources = %+v, want [%+v]", got, want)
		}
		if body := f.body("DescribeStackResourceDrifts", 0); !strings.Contains(body, "StackResourceDriftStatusFilters.member.1=MODIFIED") {
			t.Errorf("DescribeStackResourceDrifts request = %q, want a MODIFIED filter", body)
		}
	})
}

// pitr is a DescribeContinuousBackups answer; DynamoDB Local does not
// implement the call, so the tests record it in front of the real endpoint.
func pitr(status string) reply {
	return awsJSON("1.0", `{"ContinuousBackupsDescription":{"ContinuousBackupsStatus":"ENABLED","PointInTimeRecoveryDescription":{"PointInTimeRecoveryStatus":"`+status+`","RecoveryPeriodInDays":35,"EarliestRestorableDateTime":1.7e9,"LatestRestorableDateTime":1.7e9}}}`)
}

func TestTableChecks(t *testing.T) {
	ep := dynamolocal.Endpoint(t)
	local := dynamolocal.Client(t, ep)
	table := dynamolocal.Table(t, local)

	// A table that drifted: hash key only, no TTL.
	drifted := "drift-test-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	_, err := local.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(drifted),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = local.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(drifted)})
	})

	cases := []struct {
		name    string
		table   string
		replies map[string][]reply // in front of DynamoDB Local; nil means DynamoDB Local directly
		want    map[string]want
	}{
		{"in sync", table, map[string][]reply{"DescribeContinuousBackups": {pitr("ENABLED")}}, map[string]want{
			"table.active": {drift.Pass, ""}, "table.key_schema": {drift.Pass, ""}, "table.pitr": {drift.Pass, ""}, "table.ttl": {drift.Pass, ""},
		}},
		{"point-in-time recovery off", table, map[string][]reply{"DescribeContinuousBackups": {pitr("DISABLED")}}, map[string]want{
			"table.active": {drift.Pass, ""}, "table.pitr": {drift.Fail, ""},
		}},
		{"DynamoDB Local as make dev runs it", table, nil, map[string]want{
			"table.active": {drift.Pass, ""}, "table.key_schema": {drift.Pass, ""}, "table.ttl": {drift.Pass, ""},
			"table.pitr": {drift.Skip, "dynamodb unavailable: UnknownOperationException"},
		}},
		{"key schema and TTL drifted", drifted, map[string][]reply{"DescribeContinuousBackups": {pitr("ENABLED")}}, map[string]want{
			"table.active": {drift.Pass, ""}, "table.key_schema": {drift.Fail, ""}, "table.ttl": {drift.Fail, ""}, "table.pitr": {drift.Pass, ""},
		}},
		{"table missing", "no-such-table", nil, map[string]want{
			"table.active": {drift.Fail, "missing"}, "table.key_schema": {drift.Fail, "missing"}, "table.ttl": {drift.Fail, "missing"},
		}},
		{"throttled", table, map[string][]reply{
			"DescribeTable":             {awsJSONError("1.0", 400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate of requests exceeds the allowed throughput.")},
			"DescribeContinuousBackups": {pitr("ENABLED")},
		}, map[string]want{"table.active": {drift.Skip, "ThrottlingException"}, "table.key_schema": {drift.Skip, "ThrottlingException"}}},
		{"slow", table, map[string][]reply{
			"DescribeTable":             {slow(awsJSON("1.0", `{}`))},
			"DescribeContinuousBackups": {slow(pitr("ENABLED"))},
			"DescribeTimeToLive":        {slow(awsJSON("1.0", `{}`))},
		}, map[string]want{"table.active": {drift.Skip, "timeout"}, "table.pitr": {drift.Skip, "timeout"}, "table.ttl": {drift.Skip, "timeout"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := ddbClient(ep)
			if tc.replies != nil {
				f := newFake(t, targetOp, tc.replies)
				f.next = proxyTo(t, ep)
				client = ddbClient(f.URL())
			}
			s := &Scanner{Baseline: baseline(t), Table: client, TableName: tc.table}
			budget := 5 * time.Second
			if tc.name == "slow" {
				budget = 300 * time.Millisecond
			}
			ctx, cancel := withBudget(budget)
			defer cancel()
			assertChecks(t, s.checkTable(ctx), tc.want)
		})
	}
}

// blockingRoutes ignores its context, as a stuck dependency might: the scan
// must cut it off at the budget anyway.
type blockingRoutes struct{ release chan struct{} }

func (b blockingRoutes) GetRoutes(context.Context, *apigatewayv2.GetRoutesInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetRoutesOutput, error) {
	<-b.release
	return &apigatewayv2.GetRoutesOutput{}, nil
}

func TestScanBudget(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	b := baseline(t)
	s := &Scanner{Baseline: b, Routes: blockingRoutes{release}, Budget: 100 * time.Millisecond,
		Now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }}
	r := s.Scan(context.Background(), drift.Target{APIID: "a1b2c3"})
	assertChecks(t, r.Checks, map[string]want{"routes": {drift.Skip, "timeout"}, "policy.pricing": {drift.Skip, "lambda not configured"}})
	if r.Status != drift.InSync || r.ScannedAt != "2026-11-25T12:00:00Z" {
		t.Errorf("status %s at %s, want in_sync at 2026-11-25T12:00:00Z", r.Status, r.ScannedAt)
	}
}

// TestScanLeavesReserve: a caller's deadline shortens the budget so that the
// report can still be stored and published afterwards.
func TestScanLeavesReserve(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := &Scanner{Baseline: baseline(t), Routes: blockingRoutes{release}, Budget: time.Hour, Reserve: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	r := s.Scan(ctx, drift.Target{APIID: "a1b2c3"})
	if ctx.Err() != nil {
		t.Error("Scan used the caller's whole deadline; want Reserve left for storing and publishing")
	}
	assertChecks(t, r.Checks, map[string]want{"routes": {drift.Skip, "timeout"}})
}

// TestDeployedPolicyAndBuilds: the policy checks compare what the deployed
// tickets function answers with the baseline (so they can fail in
// production), and functions.build fails when a function runs another
// build.
func TestDeployedPolicyAndBuilds(t *testing.T) {
	drifted := drift.CodePolicy()
	drifted.Policy.TrialDays = 14
	names := map[string]string{"TicketsFunction": "t", "HealthFunction": "h"}
	cases := []struct {
		name  string
		fns   FunctionAPI
		wants map[string]want
	}{
		{"in sync", introspector{drift.CodePolicy(), buildinfo.Build}, map[string]want{"policy.trial": {drift.Pass, ""}, "functions.build": {drift.Pass, ""}}},
		{"deployed policy drifted", introspector{drifted, buildinfo.Build}, map[string]want{"policy.trial": {drift.Fail, ""}, "policy.pricing": {drift.Pass, ""}}},
		{"another build deployed", introspector{drift.CodePolicy(), "0000000"}, map[string]want{"functions.build": {drift.Fail, ""}, "policy.trial": {drift.Pass, ""}}},
		{"a function Lambda cannot be asked about", failingFor{introspector{drift.CodePolicy(), buildinfo.Build}, "h", errors.New("dial tcp: connection refused")},
			map[string]want{"functions.build": {drift.Skip, "HealthFunction: lambda unreachable"}, "policy.trial": {drift.Pass, ""}}},
		{"a function that does not answer the introspection", failingFor{introspector{drift.CodePolicy(), buildinfo.Build}, "h", nil},
			map[string]want{"functions.build": {drift.Fail, ""}, "policy.trial": {drift.Pass, ""}}},
		{"one function unasked, another on another build", failingFor{introspector{drift.CodePolicy(), "0000000"}, "h", errors.New("dial tcp: connection refused")},
			map[string]want{"functions.build": {drift.Fail, ""}, "policy.trial": {drift.Pass, ""}}},
		{"tickets on an older build", failingFor{introspector{drift.CodePolicy(), buildinfo.Build}, "t", nil},
			map[string]want{"functions.build": {drift.Fail, ""}, "policy.trial": {drift.Skip, "no introspection: t answered with a function error"}}},
		{"tickets unreachable", failingFor{introspector{drift.CodePolicy(), buildinfo.Build}, "t", errors.New("dial tcp: connection refused")},
			map[string]want{"functions.build": {drift.Skip, "TicketsFunction: lambda unreachable"}, "policy.trial": {drift.Skip, "lambda unreachable"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Scanner{Baseline: baseline(t), Functions: tc.fns, FunctionNames: names}
			assertChecks(t, s.checkDeployed(context.Background(), drift.CodePolicy()), tc.wants)
		})
	}
}

// failingFor is an introspector whose Invoke of function fn fails with err,
// or, when err is nil, answers with a function error.
type failingFor struct {
	introspector
	fn  string
	err error
}

func (f failingFor) Invoke(ctx context.Context, in *lambda.InvokeInput, o ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if aws.ToString(in.FunctionName) != f.fn {
		return f.introspector.Invoke(ctx, in, o...)
	}
	if f.err != nil {
		return nil, f.err
	}
	return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"boom"}`)}, nil
}

func TestScanNotConfigured(t *testing.T) {
	b := baseline(t)
	s := &Scanner{Baseline: b, NotConfigured: map[string]string{drift.ServiceLambda: "disabled by DRIFT_SKIP"}}
	r := s.Scan(context.Background(), drift.Target{})
	for _, c := range r.Checks {
		if c.Category != drift.CategoryPolicy && c.Status != drift.Skip {
			t.Errorf("%s = %s with nothing configured, want skip", c.Name, c.Status)
		}
		if c.Status == drift.Skip && c.Detail == "" {
			t.Errorf("%s skipped without a reason", c.Name)
		}
	}
	assertChecks(t, r.Checks, map[string]want{
		"functions.HealthFunction": {drift.Skip, "disabled by DRIFT_SKIP"},
		"table.active":             {drift.Skip, "dynamodb not configured"},
		"stack":                    {drift.Skip, "cloudformation not configured"},
		"health":                   {drift.Skip, "health not configured"},
	})
	// The policy checks too: they ask the deployed functions, never pass on
	// the scanner's own word.
	if want := (drift.Summary{Pass: 0, Fail: 0, Skip: len(r.Checks)}); r.Summary != want || r.Status != drift.InSync {
		t.Errorf("summary %+v status %s, want %+v in_sync", r.Summary, r.Status, want)
	}
	if got := (&Scanner{}).Scan(context.Background(), drift.Target{}); got.Status != drift.Error || got.ExitCode() != 2 {
		t.Errorf("scan without a baseline = %s, want error", got.Status)
	}
}

// inSyncScanner wires every check to a recorded in-sync deployment.
func inSyncScanner(t testing.TB) (*Scanner, drift.Target) {
	b := baseline(t)
	ep := dynamolocal.Endpoint(t)
	table := dynamolocal.Table(t, dynamolocal.Client(t, ep))
	ddb := newFake(t, targetOp, map[string][]reply{"DescribeContinuousBackups": {pitr("ENABLED")}})
	ddb.next = proxyTo(t, ep)
	fns := map[string][]reply{}
	for _, f := range b.Functions {
		fns["GetFunctionConfiguration:"+fnName(f.LogicalID)] = []reply{fnConfig(f.LogicalID, f.Runtime, f.Architecture, testVersion)}
		fns["Invoke:"+fnName(f.LogicalID)] = []reply{introspection(fnName(f.LogicalID), drift.CodePolicy(), buildinfo.Build)}
	}
	events := newFake(t, targetOp, map[string][]reply{
		"DescribeRule":      {describeRule("ENABLED", "rate(1 hour)")},
		"ListTargetsByRule": {listTargets(fnARN("KeepaliveFunction"))},
	})
	cfn := newFake(t, queryOp, map[string][]reply{
		"DetectStackDrift":                  {detectStarted},
		"DescribeStackDriftDetectionStatus": {detectionStatus("DETECTION_COMPLETE", "IN_SYNC")},
	})
	s := &Scanner{
		Baseline: b, Version: testVersion,
		Table: ddbClient(ddb.URL()), TableName: table,
		Rules: eventsClient(events.URL()), KeepaliveRule: "levqor-dev-keepalive-hourly",
		Functions: lambdaClient(newFake(t, lambdaOp, fns).URL()), FunctionNames: allFunctionNames(b),
		Routes: routesClient(newFake(t, routesOp, map[string][]reply{"GetRoutes:a1b2c3:": {routesPage("", b.Routes...)}}).URL()),
		Stack:  cfnClient(cfn.URL()), StackName: "levqor-dev",
		HTTP: http.DefaultClient, Budget: 10 * time.Second,
	}
	url := healthServer(t, 200, `{"status":"ok","version":"1.0.0","build":"abc1234","timestamp":1700000000,"uptime_seconds":12}`)
	return s, drift.Target{APIURL: url, APIID: "a1b2c3"}
}

func TestScanInSync(t *testing.T) {
	s, target := inSyncScanner(t)
	r := s.Scan(context.Background(), target)
	if r.Status != drift.InSync || r.Summary.Fail != 0 || r.Summary.Skip != 0 || r.Baseline != "v12.12" {
		t.Fatalf("report = %s", r.Text())
	}
	// 8 policy + 4 table + 1 rule + 5 functions + build + routes + health + stack.
	if r.Summary.Pass != 22 {
		t.Errorf("pass = %d, want 22:\n%s", r.Summary.Pass, r.Text())
	}
}

func BenchmarkScan(b *testing.B) {
	s, target := inSyncScanner(b)
	b.ResetTimer()
	for b.Loop() {
		if r := s.Scan(context.Background(), target); r.Status != drift.InSync {
			b.Fatal(r.Text())
		}
	}
}

// TestUnreachableServices: a service that cannot be reached at all is
// skipped with the network error as the reason, never passed or failed.
func TestUnreachableServices(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	closed := srv.URL
	srv.Close()
	b := baseline(t)
	s := &Scanner{
		Baseline: b, Version: testVersion,
		Table: ddbClient(closed), TableName: "levqor-dev-tickets",
		Rules: eventsClient(closed), KeepaliveRule: "levqor-dev-keepalive-hourly",
		Functions: lambdaClient(closed), FunctionNames: allFunctionNames(b),
		Routes: routesClient(closed), Stack: cfnClient(closed), StackName: "levqor-dev",
		HTTP: http.DefaultClient,
	}
	r := s.Scan(context.Background(), drift.Target{APIURL: closed, APIID: "a1b2c3"})
	for _, c := range r.Checks {
		if c.Category == drift.CategoryPolicy {
			continue
		}
		if c.Status != drift.Skip || !strings.Contains(c.Detail, "unreachable") || !strings.Contains(c.Detail, "connection refused") {
			t.Errorf("%s = %s %q, want skip: unreachable (connection refused)", c.Name, c.Status, c.Detail)
		}
	}
	if r.Status != drift.InSync || r.Summary.Skip != len(r.Checks) {
		t.Errorf("report %s %+v", r.Status, r.Summary)
	}
}

func TestRunner(t *testing.T) {
	putOK := awsJSON("1.1", `{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}`)
	drifted := drift.CodePolicy()
	drifted.Policy.TrialDays = 14
	cases := []struct {
		name      string
		code      drift.Code
		put       reply
		published bool
		wantErr   string
	}{
		{"in sync publishes nothing", drift.CodePolicy(), putOK, false, ""},
		{"drift publishes DriftDetected", drifted, putOK, true, ""},
		{"publish failure is returned", drifted, awsJSONError("1.1", 400, "ThrottlingException", "Rate exceeded"), true, "publish DriftDetected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bus := newFake(t, targetOp, map[string][]reply{"PutEvents": {tc.put}})
			var logs bytes.Buffer
			code := tc.code
			r := &drift.Runner{
				Scanner: &Scanner{Baseline: baseline(t), Functions: introspector{code: code, build: buildinfo.Build},
					FunctionNames: map[string]string{"TicketsFunction": "levqor-dev-TicketsFunction"}},
				Bus:     &awsbus.Bus{Client: eventsClient(bus.URL()), Name: "levqor-dev"},
				Monitor: monitor.Log{Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
			}
			rep, err := r.Run(context.Background(), drift.Target{}, "cid-12345678")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Run error = %v, want %q", err, tc.wantErr)
			}
			if got := bus.count("PutEvents") > 0; got != tc.published {
				t.Fatalf("published = %v, want %v", got, tc.published)
			}
			if !tc.published {
				if logs.Len() != 0 {
					t.Errorf("monitor told of an in-sync scan: %s", logs.String())
				}
				return
			}
			var in struct {
				Entries []struct{ Source, DetailType, Detail, EventBusName string }
			}
			if err := json.Unmarshal([]byte(bus.body("PutEvents", 0)), &in); err != nil || len(in.Entries) != 1 {
				t.Fatalf("PutEvents body %q: %v", bus.body("PutEvents", 0), err)
			}
			e := in.Entries[0]
			var d drift.DriftDetectedDetail
			_ = json.Unmarshal([]byte(e.Detail), &d)
			if e.Source != "levqor.drift" || e.DetailType != "DriftDetected" || e.EventBusName != "levqor-dev" ||
				len(d.Failed) != 1 || d.Failed[0] != "policy.trial" || d.Baseline != "v12.12" || d.Summary != rep.Summary {
				t.Errorf("event = %+v detail %+v", e, d)
			}
			if !strings.Contains(logs.String(), `"category":"drift"`) || !strings.Contains(logs.String(), "policy.trial") {
				t.Errorf("monitor log = %s", logs.String())
			}
		})
	}
}
