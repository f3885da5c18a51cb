// Command health is the Lambda behind GET and HEAD /health: version, build
// and uptime, and with ?deep=1 a DynamoDB reachability check of the tickets
// table.
//
// Configuration (environment):
//
//	TABLE_NAME                required; the tickets table that ?deep=1 checks. Required at
//	                          start, not only on the first deep request, so a misconfigured
//	                          deployment fails its first invocation instead of answering
//	                          200 until someone asks for a deep check.
//	SERVICE_NAME              log field "service" (default "levqor")
//	AWS_LAMBDA_FUNCTION_NAME  set by Lambda; log field "function_name" (default "health")
//	LOG_LEVEL                 debug, info, warn, error; overrides AWS_LAMBDA_LOG_LEVEL, which
//	                          Lambda sets from ApplicationLogLevel (default info)
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/levqor/serverless/shared/awsconfig"
	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
)

func main() {
	table, err := envconfig.Required("TABLE_NAME", "the DynamoDB tickets table that GET /health?deep=1 checks")
	if err != nil {
		envconfig.Exit("health", err)
	}
	service := envconfig.String("SERVICE_NAME", "levqor")
	function := envconfig.String("AWS_LAMBDA_FUNCTION_NAME", "health")
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
