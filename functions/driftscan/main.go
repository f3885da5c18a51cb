// Command driftscan is the Lambda behind GET /api/ops/drift and the daily
// drift schedule: it compares the running deployment with the embedded
// v12.12 baseline, stores the report and publishes DriftDetected on drift.
//
// Configuration (environment):
//
//	TABLE_NAME                required; the tickets table (checked, and where reports are kept)
//	EVENT_BUS_NAME            required; where DriftDetected is published
//	STACK_NAME                the CloudFormation stack to run drift detection on ("" skips the stack check)
//	KEEPALIVE_RULE_NAME       the keepalive schedule rule ("" skips the rule check)
//	FUNCTION_NAMES            LogicalId=name pairs of the other functions, comma-separated
//	                          ("" skips their checks); this function adds itself from
//	                          AWS_LAMBDA_FUNCTION_NAME
//	APP_VERSION               the version every function and /health must report (default: the
//	                          version stamped into this binary)
//	DRIFT_SKIP                services not to ask, comma-separated: dynamodb, events, lambda,
//	                          apigateway, cloudformation, health (the local stack sets it)
//	DRIFT_BUDGET              whole-scan time budget, a Go duration (default 40s)
//	ERROR_WEBHOOK_URL         optional webhook for drift incidents
//	SERVICE_NAME, LOG_LEVEL   logging (defaults "levqor"; LOG_LEVEL overrides Lambda's
//	                          AWS_LAMBDA_LOG_LEVEL, default info)
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/shared/awsbus"
	"github.com/levqor/serverless/shared/awsconfig"
	"github.com/levqor/serverless/shared/awsdrift"
	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
)

func main() {
	fail := func(err error) { envconfig.Exit("driftscan", err) }
	table, err := envconfig.Required("TABLE_NAME", "the tickets table, where reports are kept")
	if err != nil {
		fail(err)
	}
	bus, err := envconfig.Required("EVENT_BUS_NAME", "the bus DriftDetected goes to")
	if err != nil {
		fail(err)
	}
	baseline, err := drift.Current()
	if err != nil {
		fail(err)
	}
	self := envconfig.String("AWS_LAMBDA_FUNCTION_NAME", "driftscan")
	names, err := drift.ParseFunctionNames(os.Getenv("FUNCTION_NAMES"), baseline)
	if err != nil {
		fail(err)
	}
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		names["DriftScanFunction"] = self
	}
	skip, err := drift.ParseSkip(os.Getenv("DRIFT_SKIP"))
	if err != nil {
		fail(err)
	}
	budget, err := envconfig.OS.Duration("DRIFT_BUDGET", awsdrift.DefaultBudget, time.Nanosecond, 0)
	if err != nil {
		fail(err)
	}
	// Region, credentials and AWS_ENDPOINT_URL_* from the environment
	// Lambda (or the local stack) sets; no network call at init. See
	// shared/awsconfig for why not config.LoadDefaultConfig.
	service := envconfig.String("SERVICE_NAME", "levqor")
	logger := logging.New(os.Stdout, service, self)
	cfg, err := awsconfig.Load(os.Getenv, logger)
	if err != nil {
		fail(fmt.Errorf("AWS configuration: %w", err))
	}
	ddb, events := dynamodb.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	s := &awsdrift.Scanner{
		Baseline:      baseline,
		TableName:     table,
		KeepaliveRule: os.Getenv("KEEPALIVE_RULE_NAME"),
		FunctionNames: names,
		StackName:     os.Getenv("STACK_NAME"),
		Version:       envconfig.String("APP_VERSION", buildinfo.Version),
		NotConfigured: skip,
		Budget:        budget,
	}
	// A skipped service gets no client at all, so its checks say why they
	// did not run instead of failing against an endpoint that is not there.
	on := func(service string) bool { _, off := skip[service]; return !off }
	if on(drift.ServiceDynamoDB) {
		s.Table = ddb
	}
	if on(drift.ServiceEvents) {
		s.Rules = events
	}
	if on(drift.ServiceLambda) {
		s.Functions = lambdasvc.NewFromConfig(cfg)
	}
	if on(drift.ServiceAPIGateway) {
		s.Routes = apigatewayv2.NewFromConfig(cfg)
	}
	if on(drift.ServiceCloudFormation) {
		s.Stack = cloudformation.NewFromConfig(cfg)
	}
	if on(drift.ServiceHealth) {
		s.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	store := &dynamo.DriftReports{Client: ddb, Table: table}
	h := &Handler{
		Function:    self,
		ServiceName: service,
		Logger:      logger,
		Metrics:     &metrics.Writer{W: os.Stdout},
		Runner: &drift.Runner{
			Scanner: s,
			Store:   store,
			Bus:     &awsbus.Bus{Client: events, Name: bus},
			Monitor: monitor.FromEnv(logger, os.Getenv("ERROR_WEBHOOK_URL")),
		},
		Reports: store,
	}
	lambda.Start(h.Invoke)
}
