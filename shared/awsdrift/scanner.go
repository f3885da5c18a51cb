package awsdrift

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/levqor/serverless/shared/drift"
)

// TableAPI is the DynamoDB calls the table checks make.
type TableAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeContinuousBackups(ctx context.Context, in *dynamodb.DescribeContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
}

// RuleAPI is the EventBridge calls the keepalive rule check makes.
type RuleAPI interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// FunctionAPI is the Lambda call the function checks make.
type FunctionAPI interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// RoutesAPI is the API Gateway (v2) call the routes check makes.
type RoutesAPI interface {
	GetRoutes(ctx context.Context, in *apigatewayv2.GetRoutesInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.GetRoutesOutput, error)
}

// StackAPI is the CloudFormation calls the stack drift check makes.
type StackAPI interface {
	DetectStackDrift(ctx context.Context, in *cloudformation.DetectStackDriftInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DetectStackDriftOutput, error)
	DescribeStackDriftDetectionStatus(ctx context.Context, in *cloudformation.DescribeStackDriftDetectionStatusInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStackDriftDetectionStatusOutput, error)
	DescribeStackResourceDrifts(ctx context.Context, in *cloudformation.DescribeStackResourceDriftsInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceDriftsOutput, error)
}

// HTTPDoer sends the health check's request (*http.Client satisfies it).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Default scan timing (DRIFT_BUDGET overrides the budget). A scan also
// ends DefaultReserve before its caller's deadline, so the function has
// time to store and publish the report after the checks are cut off.
const (
	DefaultBudget       = 40 * time.Second
	DefaultPollInterval = 5 * time.Second
	// DefaultReserve is kept back from the caller's deadline for what
	// follows the scan: storing the report and publishing DriftDetected.
	DefaultReserve = 3 * time.Second
)

// Scanner runs the live checks. Each AWS client is optional: a nil client
// means the service is not configured and its checks are skipped with the
// reason in NotConfigured (or a generic one), never passed.
type Scanner struct {
	Baseline drift.Baseline
	// Code is the policy under test; nil means CodePolicy().
	Code *drift.Code

	Table     TableAPI
	TableName string

	Rules         RuleAPI
	KeepaliveRule string

	Functions FunctionAPI
	// FunctionNames maps baseline logical ids to deployed function names.
	FunctionNames map[string]string

	Routes RoutesAPI

	Stack     StackAPI
	StackName string

	HTTP HTTPDoer

	// Version is what every function and /health must report.
	Version string

	// NotConfigured gives the reason a service's checks are skipped, keyed
	// by the Service* names (e.g. "disabled by DRIFT_SKIP").
	NotConfigured map[string]string

	Budget       time.Duration // whole scan; zero means DefaultBudget
	Reserve      time.Duration // left of the caller's deadline after the scan; zero means DefaultReserve
	PollInterval time.Duration // stack drift detection polling; zero means DefaultPollInterval
	Now          func() time.Time
}

// group is a set of checks run together; names lets a cut-off group still
// report each of its checks as skipped.
type group struct {
	category string
	names    []string
	run      func(ctx context.Context) []drift.Check
}

// Scan runs every check concurrently within the budget and returns the
// report. The budget is Budget, shortened so that Reserve is left before
// ctx's deadline (an HTTP API request has 30 seconds, a Lambda invocation
// its timeout). Checks still running when the budget ends are reported skip
// with detail "timeout". Scan returns an error report only when it has no
// baseline to compare with.
func (s *Scanner) Scan(ctx context.Context, t drift.Target) drift.Report {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if s.Baseline.Version == "" {
		return drift.ErrorReport("", now(), errors.New("no baseline loaded"))
	}
	budget, reserve := s.Budget, s.Reserve
	if budget <= 0 {
		budget = DefaultBudget
	}
	if reserve <= 0 {
		reserve = DefaultReserve
	}
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)-reserve)
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	groups := s.groups(t)
	type result struct {
		i      int
		checks []drift.Check
	}
	results := make(chan result, len(groups)) // buffered: late groups never block
	for i, g := range groups {
		go func() { results <- result{i, g.run(ctx)} }()
	}
	done := make([]bool, len(groups))
	var checks []drift.Check
wait:
	for range groups {
		select {
		case r := <-results:
			done[r.i] = true
			checks = append(checks, r.checks...)
		case <-ctx.Done():
			break wait
		}
	}
	for i, g := range groups {
		if !done[i] {
			for _, n := range g.names {
				checks = append(checks, drift.Skipped(n, g.category, "timeout"))
			}
		}
	}
	return drift.NewReport(s.Baseline.Version, now(), checks)
}

func (s *Scanner) groups(t drift.Target) []group {
	code := drift.CodePolicy()
	if s.Code != nil {
		code = *s.Code
	}
	policyNames := []string{"functions.build"}
	for _, c := range drift.PolicyChecks(s.Baseline, code) {
		policyNames = append(policyNames, c.Name)
	}
	var fnNames []string
	for _, f := range s.Baseline.Functions {
		fnNames = append(fnNames, "functions."+f.LogicalID)
	}
	return []group{
		{drift.CategoryPolicy, policyNames, func(ctx context.Context) []drift.Check { return s.checkDeployed(ctx, code) }},
		{drift.CategoryTable, tableChecks, s.checkTable},
		{drift.CategoryKeepalive, []string{"keepalive.rule"}, s.checkRule},
		{drift.CategoryFunctions, fnNames, s.checkFunctions},
		{drift.CategoryRoutes, []string{"routes"}, func(ctx context.Context) []drift.Check { return s.checkRoutes(ctx, t.APIID) }},
		{drift.CategoryHealth, []string{"health"}, func(ctx context.Context) []drift.Check { return s.checkHealth(ctx, t.APIURL) }},
		{drift.CategoryStack, []string{"stack"}, s.checkStack},
	}
}

// notConfigured is the reason service's checks are skipped.
func (s *Scanner) notConfigured(service string) string {
	if r := s.NotConfigured[service]; r != "" {
		return r
	}
	return service + " not configured"
}

// skipAll reports every name skipped for the same reason.
func skipAll(names []string, category, reason string) []drift.Check {
	out := make([]drift.Check, len(names))
	for i, n := range names {
		out[i] = drift.Skipped(n, category, reason)
	}
	return out
}

// fromError turns a failed AWS call into a check. A resource the service
// says does not exist is drift (fail); anything else (throttling, access
// denied, an unreachable endpoint, an operation the endpoint does not
// support, the budget running out) means the check could not be verified,
// so it is skipped with the reason.
func fromError(name, category, service string, err error) drift.Check {
	status, detail := classify(service, err)
	return drift.Check{Name: name, Category: category, Status: status, Detail: detail}
}

func classify(service string, err error) (drift.Status, string) {
	if errors.Is(err, context.DeadlineExceeded) {
		return drift.Skip, "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return drift.Skip, "cancelled"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg := ae.ErrorCode(), ae.ErrorMessage()
		switch {
		case code == "ResourceNotFoundException", code == "NotFoundException",
			code == "ValidationError" && strings.Contains(msg, "does not exist"):
			return drift.Fail, "missing: " + msg
		}
		return drift.Skip, fmt.Sprintf("%s unavailable: %s: %s", service, code, msg)
	}
	// The SDK wraps a transport failure in operation and retry context; the
	// network error itself is what a reader needs.
	var ne *net.OpError
	if errors.As(err, &ne) {
		return drift.Skip, fmt.Sprintf("%s unreachable: %v", service, ne)
	}
	return drift.Skip, fmt.Sprintf("%s unreachable: %v", service, err)
}
