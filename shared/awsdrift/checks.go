package awsdrift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/warmup"
)

var tableChecks = []string{"table.active", "table.key_schema", "table.pitr", "table.ttl"}

// checkTable describes the tickets table: active, key schema, point-in-time
// recovery and TTL, each its own check so one unsupported call (DynamoDB
// Local has no DescribeContinuousBackups) skips only its own check.
func (s *Scanner) checkTable(ctx context.Context) []drift.Check {
	if s.Table == nil {
		return skipAll(tableChecks, drift.CategoryTable, s.notConfigured(drift.ServiceDynamoDB))
	}
	if s.TableName == "" {
		return skipAll(tableChecks, drift.CategoryTable, "table name not configured (TABLE_NAME)")
	}
	want := s.Baseline.Table
	name := aws.String(s.TableName)
	out := make([]drift.Check, 0, len(tableChecks))

	dt, err := s.Table.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
	if err != nil {
		// Whatever made the table undescribable (missing: fail; unreachable:
		// skip) holds for its key schema too.
		c := fromError("table.active", drift.CategoryTable, drift.ServiceDynamoDB, err)
		ks := c
		ks.Name = "table.key_schema"
		out = append(out, c, ks)
	} else {
		td := dt.Table
		if td == nil {
			td = &ddbtypes.TableDescription{}
		}
		out = append(out,
			drift.Compare("table.active", drift.CategoryTable, string(ddbtypes.TableStatusActive), string(td.TableStatus)),
			drift.Compare("table.key_schema", drift.CategoryTable, drift.KeySchemaString(want.KeySchema), drift.KeySchemaString(KeysFrom(td.KeySchema, td.AttributeDefinitions))))
	}

	if cb, err := s.Table.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name}); err != nil {
		out = append(out, fromError("table.pitr", drift.CategoryTable, drift.ServiceDynamoDB, err))
	} else {
		got := "DISABLED"
		if d := cb.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil {
			got = string(d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus)
		}
		out = append(out, drift.Compare("table.pitr", drift.CategoryTable, want.PITRStatus(), got))
	}

	if tl, err := s.Table.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name}); err != nil {
		out = append(out, fromError("table.ttl", drift.CategoryTable, drift.ServiceDynamoDB, err))
	} else {
		got := "DISABLED"
		if d := tl.TimeToLiveDescription; d != nil {
			got = string(d.TimeToLiveStatus) + " " + aws.ToString(d.AttributeName)
		}
		out = append(out, drift.Compare("table.ttl", drift.CategoryTable, want.TTLStatus(), strings.TrimSpace(got)))
	}
	return out
}

// KeysFrom joins a DynamoDB key schema with the attribute definitions'
// types; it serves both a described table and a template's CreateTable input.
func KeysFrom(schema []ddbtypes.KeySchemaElement, defs []ddbtypes.AttributeDefinition) []drift.KeyAttr {
	types := map[string]string{}
	for _, a := range defs {
		types[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	keys := make([]drift.KeyAttr, 0, len(schema))
	for _, k := range schema {
		n := aws.ToString(k.AttributeName)
		keys = append(keys, drift.KeyAttr{Name: n, KeyType: string(k.KeyType), Type: types[n]})
	}
	return keys
}

// checkRule verifies the keepalive schedule: enabled, the baseline's rate,
// and targeting the keepalive function.
func (s *Scanner) checkRule(ctx context.Context) []drift.Check {
	const name = "keepalive.rule"
	fn := s.FunctionNames[s.Baseline.Keepalive.Function]
	switch {
	case s.Rules == nil:
		return []drift.Check{drift.Skipped(name, drift.CategoryKeepalive, s.notConfigured(drift.ServiceEvents))}
	case s.KeepaliveRule == "":
		return []drift.Check{drift.Skipped(name, drift.CategoryKeepalive, "rule name not configured (KEEPALIVE_RULE_NAME)")}
	case fn == "":
		return []drift.Check{drift.Skipped(name, drift.CategoryKeepalive, "keepalive function name not configured (FUNCTION_NAMES)")}
	}
	rule, err := s.Rules.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(s.KeepaliveRule)})
	if err != nil {
		return []drift.Check{fromError(name, drift.CategoryKeepalive, drift.ServiceEvents, err)}
	}
	var targets []string
	var token *string
	for page := 0; page < maxPages; page++ {
		lt, err := s.Rules.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(s.KeepaliveRule), NextToken: token})
		if err != nil {
			return []drift.Check{fromError(name, drift.CategoryKeepalive, drift.ServiceEvents, err)}
		}
		for _, t := range lt.Targets {
			targets = append(targets, functionName(aws.ToString(t.Arn)))
		}
		if token = lt.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	want := "ENABLED " + s.Baseline.Keepalive.Schedule + " -> " + fn
	got := fmt.Sprintf("%s %s -> %s", rule.State, aws.ToString(rule.ScheduleExpression), strings.Join(targets, ", "))
	c := drift.Check{Name: name, Category: drift.CategoryKeepalive, Status: drift.Pass, Expected: want, Actual: got}
	var wrong []string
	if rule.State != "ENABLED" {
		wrong = append(wrong, "rule is "+string(rule.State))
	}
	if aws.ToString(rule.ScheduleExpression) != s.Baseline.Keepalive.Schedule {
		wrong = append(wrong, "schedule differs")
	}
	if !slices.Contains(targets, fn) {
		wrong = append(wrong, "keepalive function is not a target")
	}
	if len(wrong) > 0 {
		c.Status, c.Detail = drift.Fail, strings.Join(wrong, "; ")
	}
	return []drift.Check{c}
}

// maxPages bounds any paginated listing so a misbehaving endpoint that keeps
// returning tokens cannot hold a scan forever.
const maxPages = 50

// functionName returns the function name in a Lambda function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]), or the input
// unchanged when it is not one.
func functionName(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) >= 7 && parts[2] == "lambda" && parts[5] == "function" {
		return parts[6]
	}
	return arn
}

// checkFunctions verifies each baseline function: it exists, runs the
// baseline runtime and architecture. The version every function runs is
// the one /health reports (checkHealth): it is compiled in, not configured.
func (s *Scanner) checkFunctions(ctx context.Context) []drift.Check {
	out := make([]drift.Check, 0, len(s.Baseline.Functions))
	for _, f := range s.Baseline.Functions {
		name := "functions." + f.LogicalID
		fn := s.FunctionNames[f.LogicalID]
		switch {
		case s.Functions == nil:
			out = append(out, drift.Skipped(name, drift.CategoryFunctions, s.notConfigured(drift.ServiceLambda)))
			continue
		case fn == "":
			out = append(out, drift.Skipped(name, drift.CategoryFunctions, "function name not configured (FUNCTION_NAMES)"))
			continue
		}
		cfg, err := s.Functions.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			out = append(out, fromError(name, drift.CategoryFunctions, drift.ServiceLambda, err))
			continue
		}
		archs := make([]string, len(cfg.Architectures))
		for i, a := range cfg.Architectures {
			archs[i] = string(a)
		}
		want := fmt.Sprintf("%s %s", f.Runtime, f.Architecture)
		got := fmt.Sprintf("%s %s", cfg.Runtime, strings.Join(archs, ","))
		c := drift.Compare(name, drift.CategoryFunctions, want, got)
		if c.Status == drift.Fail {
			c.Detail = fn
		}
		out = append(out, c)
	}
	return out
}

// checkRoutes compares the HTTP API's routes with the baseline's exact set.
func (s *Scanner) checkRoutes(ctx context.Context, apiID string) []drift.Check {
	const name = "routes"
	switch {
	case s.Routes == nil:
		return []drift.Check{drift.Skipped(name, drift.CategoryRoutes, s.notConfigured(drift.ServiceAPIGateway))}
	case apiID == "":
		return []drift.Check{drift.Skipped(name, drift.CategoryRoutes, "api id unknown (schedule input api_id or request context)")}
	}
	var routes []string
	var token *string
	for page := 0; page < maxPages; page++ {
		out, err := s.Routes.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(apiID), NextToken: token})
		if err != nil {
			return []drift.Check{fromError(name, drift.CategoryRoutes, drift.ServiceAPIGateway, err)}
		}
		for _, r := range out.Items {
			routes = append(routes, aws.ToString(r.RouteKey))
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	return []drift.Check{drift.CompareSet(name, drift.CategoryRoutes, s.Baseline.Routes, routes)}
}

// maxHealthBody bounds what the health check reads.
const maxHealthBody = 64 << 10

// checkHealth calls <api_url>/health and expects 200, status ok and the
// scanner's version.
func (s *Scanner) checkHealth(ctx context.Context, apiURL string) []drift.Check {
	const name = "health"
	switch {
	case s.HTTP == nil:
		return []drift.Check{drift.Skipped(name, drift.CategoryHealth, s.notConfigured(drift.ServiceHealth))}
	case apiURL == "":
		return []drift.Check{drift.Skipped(name, drift.CategoryHealth, "api url unknown (schedule input api_url or request context)")}
	}
	url := strings.TrimRight(apiURL, "/") + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return []drift.Check{drift.Skipped(name, drift.CategoryHealth, "bad api url: "+err.Error())}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return []drift.Check{drift.Skipped(name, drift.CategoryHealth, "timeout")}
		}
		return []drift.Check{drift.Skipped(name, drift.CategoryHealth, "health unreachable: "+err.Error())}
	}
	defer resp.Body.Close()
	var h struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
	if err != nil {
		return []drift.Check{drift.Skipped(name, drift.CategoryHealth, "health unreachable: "+err.Error())}
	}
	want := fmt.Sprintf("HTTP 200 status ok version %s", s.Version)
	c := drift.Check{Name: name, Category: drift.CategoryHealth, Expected: want}
	if err := json.Unmarshal(body, &h); err != nil {
		c.Status, c.Actual, c.Detail = drift.Fail, fmt.Sprintf("HTTP %d", resp.StatusCode), "body is not health JSON"
		return []drift.Check{c}
	}
	c.Actual = fmt.Sprintf("HTTP %d status %s version %s", resp.StatusCode, h.Status, h.Version)
	c.Status = drift.Pass
	if c.Actual != want {
		c.Status, c.Detail = drift.Fail, url
	}
	return []drift.Check{c}
}

// checkStack asks CloudFormation to detect drift on the stack, polls until
// detection ends or the budget does, and lists drifted resources with their
// property differences.
func (s *Scanner) checkStack(ctx context.Context) []drift.Check {
	const name = "stack"
	switch {
	case s.Stack == nil:
		return []drift.Check{drift.Skipped(name, drift.CategoryStack, s.notConfigured(drift.ServiceCloudFormation))}
	case s.StackName == "":
		return []drift.Check{drift.Skipped(name, drift.CategoryStack, "stack name not configured (STACK_NAME)")}
	}
	det, err := s.Stack.DetectStackDrift(ctx, &cloudformation.DetectStackDriftInput{StackName: aws.String(s.StackName)})
	if err != nil {
		return []drift.Check{fromError(name, drift.CategoryStack, drift.ServiceCloudFormation, err)}
	}
	poll := s.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	var st *cloudformation.DescribeStackDriftDetectionStatusOutput
	for {
		st, err = s.Stack.DescribeStackDriftDetectionStatus(ctx, &cloudformation.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: det.StackDriftDetectionId})
		if err != nil {
			return []drift.Check{fromError(name, drift.CategoryStack, drift.ServiceCloudFormation, err)}
		}
		if st.DetectionStatus != cfntypes.StackDriftDetectionStatusDetectionInProgress {
			break
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return []drift.Check{drift.Skipped(name, drift.CategoryStack, "timeout")}
		case <-t.C:
		}
	}
	c := drift.Check{Name: name, Category: drift.CategoryStack, Expected: string(cfntypes.StackDriftStatusInSync), Actual: string(st.StackDriftStatus)}
	switch {
	case st.StackDriftStatus == cfntypes.StackDriftStatusInSync && st.DetectionStatus == cfntypes.StackDriftDetectionStatusDetectionComplete:
		c.Status = drift.Pass
		return []drift.Check{c}
	case st.StackDriftStatus != cfntypes.StackDriftStatusDrifted:
		// Detection failed or left resources unchecked: not verified.
		c.Status = drift.Skip
		c.Detail = fmt.Sprintf("detection %s: %s", st.DetectionStatus, aws.ToString(st.DetectionStatusReason))
		return []drift.Check{c}
	}
	resources, err := s.driftedResources(ctx)
	if err != nil {
		_, why := classify(drift.ServiceCloudFormation, err)
		c.Status, c.Detail = drift.Fail, "stack drifted; resources not listed: "+why
		return []drift.Check{c}
	}
	summary := make([]string, len(resources))
	for i, r := range resources {
		summary[i] = r.LogicalID + " (" + r.Status + ")"
	}
	c.Status, c.Resources = drift.Fail, resources
	c.Detail = fmt.Sprintf("%d drifted resources: %s", len(resources), strings.Join(summary, ", "))
	return []drift.Check{c}
}

func (s *Scanner) driftedResources(ctx context.Context) ([]drift.ResourceDrift, error) {
	var out []drift.ResourceDrift
	var token *string
	for page := 0; page < maxPages; page++ {
		rd, err := s.Stack.DescribeStackResourceDrifts(ctx, &cloudformation.DescribeStackResourceDriftsInput{
			StackName: aws.String(s.StackName),
			NextToken: token,
			StackResourceDriftStatusFilters: []cfntypes.StackResourceDriftStatus{
				cfntypes.StackResourceDriftStatusModified, cfntypes.StackResourceDriftStatusDeleted,
			},
		})
		if err != nil {
			return nil, err
		}
		for _, d := range rd.StackResourceDrifts {
			r := drift.ResourceDrift{LogicalID: aws.ToString(d.LogicalResourceId), Type: aws.ToString(d.ResourceType), Status: string(d.StackResourceDriftStatus)}
			for _, p := range d.PropertyDifferences {
				r.Differences = append(r.Differences, drift.PropertyDifference{
					Path: aws.ToString(p.PropertyPath), Expected: aws.ToString(p.ExpectedValue),
					Actual: aws.ToString(p.ActualValue), Type: string(p.DifferenceType),
				})
			}
			out = append(out, r)
		}
		if token = rd.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	return out, nil
}

// checkDeployed asks each deployed function what it runs (the
// introspection invocation, answered at once and touching nothing) and
// compares the policy the tickets function applies with the baseline, and
// the build stamps of the functions that answered with this scanner's (a
// skip, rather than a pass, when some could not be asked). local
// is the scanner's own policy, used only when the scan has no Lambda to
// ask (DRIFT_SKIP=lambda, or no function names): the checks are then
// skipped, never passed on the scanner's word.
func (s *Scanner) checkDeployed(ctx context.Context, local drift.Code) []drift.Check {
	policy := drift.PolicyChecks(s.Baseline, local)
	skipPolicy := func(reason string) []drift.Check {
		var out []drift.Check
		for _, c := range policy {
			out = append(out, drift.Skipped(c.Name, c.Category, reason))
		}
		return out
	}
	skip := func(reason string) []drift.Check {
		return append([]drift.Check{drift.Skipped("functions.build", drift.CategoryFunctions, reason)}, skipPolicy(reason)...)
	}
	if s.Functions == nil {
		return skip(s.notConfigured(drift.ServiceLambda))
	}
	if s.FunctionNames["TicketsFunction"] == "" {
		return skip("TicketsFunction name not configured (FUNCTION_NAMES)")
	}
	ids := make([]string, 0, len(s.FunctionNames))
	for id := range s.FunctionNames {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	builds := map[string]string{} // logical id -> build
	var tickets *warmup.Introspection
	var unasked []string // functions Lambda could not be asked about
	policySkip := ""     // why the policy checks cannot run, when they cannot
	for _, id := range ids {
		if id == "DriftScanFunction" { // this function: its own stamp
			builds[id] = buildinfo.Build
			continue
		}
		in, err := s.introspect(ctx, s.FunctionNames[id])
		if err != nil {
			status, detail := classify(drift.ServiceLambda, err)
			answered := errors.Is(err, errNoIntrospection) // unlike this build does
			if answered {
				detail = err.Error() // not "unreachable"
			}
			if id == "TicketsFunction" {
				policySkip = detail
			}
			// A function that answers unlike this build, or is missing,
			// has drifted; one Lambda could not be asked about is unknown.
			if status == drift.Skip && !answered {
				unasked = append(unasked, id+": "+detail)
				continue
			}
			builds[id] = "unknown (" + err.Error() + ")"
			continue
		}
		builds[id] = in.Build
		if id == "TicketsFunction" {
			tickets = in
		}
	}
	var out []drift.Check
	if tickets != nil {
		out = drift.PolicyChecks(s.Baseline, drift.Code{Tiers: tickets.Tiers, Policy: tickets.Policy})
	} else {
		out = skipPolicy(policySkip)
	}
	// The functions that answered are compared; those that could not be
	// asked make a pass a skip, never a fail a pass.
	var want, got []string
	for _, id := range ids {
		if _, ok := builds[id]; ok {
			want = append(want, id+" "+buildinfo.Build)
			got = append(got, id+" "+builds[id])
		}
	}
	c := drift.Compare("functions.build", drift.CategoryFunctions, strings.Join(want, ", "), strings.Join(got, ", "))
	if c.Status == drift.Pass && len(unasked) > 0 {
		c = drift.Skipped("functions.build", drift.CategoryFunctions, strings.Join(unasked, "; "))
	}
	return append(out, c)
}

// introspect invokes a function with the introspection payload.
func (s *Scanner) introspect(ctx context.Context, fn string) (*warmup.Introspection, error) {
	out, err := s.Functions.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(warmup.IntrospectPayload)})
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("%w: %s answered with a function error (%s)", errNoIntrospection, fn, aws.ToString(out.FunctionError))
	}
	var in warmup.Introspection
	if err := json.Unmarshal(out.Payload, &in); err != nil || in.Function == "" {
		return nil, fmt.Errorf("%w: %s does not answer it (an older build?)", errNoIntrospection, fn)
	}
	return &in, nil
}

// errNoIntrospection is introspect's error for a function that was invoked
// but did not answer as this build does.
var errNoIntrospection = errors.New("no introspection")
