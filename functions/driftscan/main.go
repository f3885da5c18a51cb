// Command driftscan is the Lambda behind GET /api/ops/drift and the daily
// drift schedule: it compares the running deployment with the embedded
// v12.12 baseline, stores the report and publishes DriftDetected on drift.
//
// Configuration: the environment variables in README's table, read by
// readSettings (settings.go).
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
	"github.com/levqor/serverless/shared/heap"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
)

func main() {
	heap.ForLambda(os.Getenv) // the collector sized for Lambda before anything is built
	fail := func(err error) { envconfig.Exit("driftscan", err) }
	baseline, err := drift.Current()
	if err != nil {
		fail(err)
	}
	r := envconfig.OS.Reader()
	set := readSettings(r, baseline)
	if err := r.Err(); err != nil {
		fail(err)
	}
	table, bus, self, service := set.table, set.bus, set.function, set.service
	names := set.names
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		names["DriftScanFunction"] = self
	}
	skip := set.skip
	// Region, credentials and AWS_ENDPOINT_URL_* from the environment
	// Lambda (or the local stack) sets; no network call at init. See
	// shared/awsconfig for why not config.LoadDefaultConfig.
	logger := logging.New(os.Stdout, service, self)
	cfg, err := awsconfig.Load(os.Getenv, logger)
	if err != nil {
		fail(fmt.Errorf("AWS configuration: %w", err))
	}
	ddb, events := dynamodb.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	s := &awsdrift.Scanner{
		Baseline:      baseline,
		TableName:     table,
		KeepaliveRule: set.rule,
		FunctionNames: names,
		StackName:     set.stack,
		Version:       buildinfo.Version,
		NotConfigured: skip,
		Budget:        set.budget,
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
			Monitor: monitor.FromEnv(logger, set.webhook),
			Metrics: &metrics.Writer{W: os.Stdout},
			Service: set.service,
		},
		Reports: store,
	}
	lambda.Start(h.Invoke)
}
