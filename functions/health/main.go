// Command health is the Lambda behind GET and HEAD /health: version, build
// and uptime, and with ?deep=1 a DynamoDB reachability check of the tickets
// table.
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
	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/heap"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
)

func main() {
	heap.ForLambda(os.Getenv) // the collector sized for Lambda before anything is built
	r := envconfig.OS.Reader()
	set := readSettings(r)
	if err := r.Err(); err != nil {
		envconfig.Exit("health", err)
	}
	table, service, function := set.table, set.service, set.function
	// Region, credentials and AWS_ENDPOINT_URL_* from the environment
	// Lambda (or the local stack) sets; no network call at init. See
	// shared/awsconfig for why not config.LoadDefaultConfig.
	logger := logging.New(os.Stdout, service, function)
	cfg, err := awsconfig.Load(os.Getenv, logger)
	if err != nil {
		envconfig.Exit("health", fmt.Errorf("AWS configuration: %w", err))
	}
	h := &Handler{
		Function:    function,
		ServiceName: service,
		Logger:      logger,
		Prober:      &Prober{Table: table, DB: dynamodb.NewFromConfig(cfg)},
		Metrics:     &metrics.Writer{W: os.Stdout},
	}
	lambda.Start(h.Invoke)
}
