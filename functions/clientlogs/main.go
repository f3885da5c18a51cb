// Command clientlogs is the Lambda behind POST /api/client-logs, where the
// site's browser logger sends its batches, and GET /client-logger.js, the
// logger itself.
//
// Configuration: the environment variables in README's table, read by
// readSettings (settings.go).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/levqor/serverless/shared/awsconfig"
	"github.com/levqor/serverless/shared/clientlogs"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/heap"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
)

func main() {
	heap.ForLambda(os.Getenv) // the collector sized for Lambda before anything is built
	r := envconfig.OS.Reader()
	set := readSettings(r)
	if err := r.Err(); err != nil {
		envconfig.Exit("clientlogs", err)
	}
	logger := logging.New(os.Stdout, set.service, set.function)
	cfg, err := awsconfig.Load(os.Getenv, logger)
	if err != nil {
		envconfig.Exit("clientlogs", fmt.Errorf("AWS configuration: %w", err))
	}
	h := &Handler{
		Function:    set.function,
		ServiceName: set.service,
		Logger:      logger,
		Metrics:     &metrics.Writer{W: os.Stdout},
		Releases:    set.releases,
		Alerter: &clientlogs.Alerter{
			Gate:     &dynamo.AlertGate{Client: dynamodb.NewFromConfig(cfg), Table: set.table},
			Notifier: monitor.FromEnv(logger, set.webhook),
		},
		Script: NewScript(),
	}
	lambda.Start(h.Invoke)
}
