// Command keepalive is the uptime monitor: run hourly by an EventBridge
// schedule and on demand by POST /api/ops/keepalive, it checks its targets,
// keeps their state and history in the tickets table (TARGET# keys),
// publishes TargetDown / TargetDegraded / TargetRecovered on change, emits
// CloudWatch embedded-format metrics, warms the other functions, and
// answers GET /api/ops/uptime.
//
// Configuration: the environment variables in README's table, read by
// loadSettings (settings.go).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/shared/awsbus"
	"github.com/levqor/serverless/shared/awsconfig"
	"github.com/levqor/serverless/shared/buildinfo"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/heap"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/tiers"
	"github.com/levqor/serverless/shared/uptime"
	"github.com/levqor/serverless/shared/warmer"
)

func main() {
	heap.ForLambda(os.Getenv) // the collector sized for Lambda before anything is built
	r := envconfig.OS.Reader()
	c := loadSettings(r)
	if err := r.Err(); err != nil {
		envconfig.Exit("keepalive", fmt.Errorf("configuration: %w", err))
	}
	// Region, credentials and AWS_ENDPOINT_URL_* from the environment
	// Lambda (or the local stack) sets; no network call at init. See
	// shared/awsconfig for why not config.LoadDefaultConfig.
	logger := logging.New(os.Stdout, c.Service, c.Function)
	cfg, err := awsconfig.Load(os.Getenv, logger)
	if err != nil {
		envconfig.Exit("keepalive", fmt.Errorf("AWS configuration: %w", err))
	}
	emf := &metrics.Writer{W: os.Stdout}
	runner := &uptime.Runner{
		Checker:    &probe.Checker{},
		Store:      &dynamo.Uptime{Client: dynamodb.NewFromConfig(cfg), Table: c.Table},
		Publisher:  &awsbus.Bus{Client: eventbridge.NewFromConfig(cfg), Name: c.Bus},
		Notifier:   monitor.FromEnv(logger, c.WebhookURL),
		Metrics:    emf,
		Logger:     logger,
		Thresholds: c.Thresholds,
		SLAPercent: tiers.Current().UptimeSLAPercent,
		Service:    c.Service,
	}
	if len(c.WarmFunctions) > 0 {
		runner.Warmer = &warmer.Warmer{Client: awslambda.NewFromConfig(cfg), Functions: c.WarmFunctions}
	}
	h := &Handler{
		Function: c.Function,
		Service:  c.Service,
		Version:  buildinfo.Version,
		Targets:  c.Targets,
		Runner:   runner,
		Logger:   logger,
		Metrics:  emf,
	}
	lambda.Start(h.Invoke)
}
