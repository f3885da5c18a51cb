// Command tickets is the Lambda behind POST /api/support/tickets, and the
// TicketCreated publisher fed by the tickets table's DynamoDB stream.
//
// Configuration (environment):
//
//	TABLE_NAME                required; the single table holding tickets (TICKET#) and
//	                          idempotency records (IDEMP#)
//	EVENT_BUS_NAME            required; the EventBridge bus TicketCreated goes to
//	BUSINESS_HOURS            SLA calendar, bizhours.Parse syntax (default Mon-Fri 09:00-17:00
//	                          Europe/London)
//	BUSINESS_HOLIDAYS         comma-separated YYYY-MM-DD closed days (default England and
//	                          Wales bank holidays 2026-2027)
//	IDEMPOTENCY_TTL           how long an Idempotency-Key's first response is replayed, a Go
//	                          duration (default 24h; 1m to 720h)
//	SERVICE_NAME              log field "service" (default "levqor")
//	AWS_LAMBDA_FUNCTION_NAME  set by Lambda; log field "function_name" (default "tickets")
//	LOG_LEVEL                 debug, info (default), warn, error
//
// Retries and deadlines: the DynamoDB client's own retryer is limited to one
// attempt (RetryMaxAttempts 1) so that shared/retry's policy (3 attempts,
// full jitter, throttling/5xx/timeouts only, never a conditional-check
// failure) is the only one and attempts do not multiply (3 x 3). Each HTTP
// attempt times out after 2 s and a request's DynamoDB work stops 6 s after
// it starts (or 1.5 s before the invocation deadline), so a slow or dead
// DynamoDB is answered with 503 + Retry-After well inside the 10 s function
// timeout and API Gateway's 30 s. The EventBridge client keeps the SDK's
// standard retries: the stream path has no caller waiting, and Lambda's
// stream retries sit on top.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/ticketstore"
	"github.com/levqor/serverless/shared/triage"
)

// attemptTimeout bounds one DynamoDB HTTP attempt.
const attemptTimeout = 2 * time.Second

func main() {
	table := required("TABLE_NAME", "the DynamoDB table tickets are stored in")
	bus := required("EVENT_BUS_NAME", "the EventBridge bus TicketCreated is published to")
	cal, err := bizhours.Parse(os.Getenv("BUSINESS_HOURS"), os.Getenv("BUSINESS_HOLIDAYS"))
	if err != nil {
		fail("BUSINESS_HOURS/BUSINESS_HOLIDAYS: %v", err)
	}
	ttl := idempotency.DefaultTTL
	if v := os.Getenv("IDEMPOTENCY_TTL"); v != "" {
		ttl, err = time.ParseDuration(v)
		if err != nil || ttl < time.Minute || ttl > 720*time.Hour {
			fail("IDEMPOTENCY_TTL must be a duration from 1m to 720h, got %q", v)
		}
	}
	function := envOr("AWS_LAMBDA_FUNCTION_NAME", "tickets")
	// LoadDefaultConfig reads the environment only; credentials resolve
	// lazily on the first call, so there is no network call at init. The SDK
	// honours AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_EVENTBRIDGE (the
	// local stack uses them).
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fail("AWS configuration: %v", err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(attemptTimeout)
	})
	h := &Handler{
		Function: function,
		Logger:   logging.New(os.Stdout, envOr("SERVICE_NAME", "levqor"), function),
		Service: &tickets.Service{
			Store:       &ticketstore.Store{Client: db, Table: table},
			Idempotency: &idempotency.Store{Client: db, Table: table, TTL: ttl},
			Router:      triage.Rules{},
			Calendar:    cal,
		},
		Publisher: &eventbus.Bus{Client: eventbridge.NewFromConfig(cfg), Name: bus},
	}
	lambda.Start(h.Invoke)
}

func required(name, what string) string {
	v := os.Getenv(name)
	if v == "" {
		fail("%s is required (%s)", name, what)
	}
	return v
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tickets: "+format+"\n", args...)
	os.Exit(1)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
