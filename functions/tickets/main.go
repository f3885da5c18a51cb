// Command tickets is the Lambda behind POST /api/support/tickets, and the
// TicketCreated publisher fed by the tickets table's DynamoDB stream.
//
// Configuration (environment):
//
//	TABLE_NAME                required; the single table holding tickets (TICKET#) and
//	                          idempotency records (IDEMP#)
//	EVENT_BUS_NAME            required; the EventBridge bus TicketCreated goes to
//	BUSINESS_HOURS            SLA calendar "<days> <HH:MM>-<HH:MM> <IANA zone>" (default
//	                          "Mon-Fri 09:00-17:00 Europe/London")
//	BUSINESS_HOLIDAYS         comma-separated YYYY-MM-DD closed days; "none" for none (default
//	                          England and Wales bank holidays 2026-2027)
//	IDEMPOTENCY_TTL           how long an Idempotency-Key's first response is replayed, a Go
//	                          duration (default 24h; 1m to 720h)
//	SERVICE_NAME              log field "service" (default "levqor")
//	AWS_LAMBDA_FUNCTION_NAME  set by Lambda; log field "function_name" (default "tickets")
//	LOG_LEVEL                 debug, info, warn, error; overrides AWS_LAMBDA_LOG_LEVEL, which
//	                          Lambda sets from ApplicationLogLevel (default info)
//
// Retries and deadlines: every AWS client has the one retry policy
// (shared/awsconfig: 3 attempts, full-jitter backoff, throttling, 5xx,
// timeouts and broken connections only, never a conditional-check
// failure), and nothing retries around it, so attempts never multiply.
// Each DynamoDB HTTP attempt times out after 2 s and a request's DynamoDB
// work stops 6 s after it starts (or 1.5 s before the invocation
// deadline), so a slow or dead DynamoDB is answered with 503 + Retry-After
// well inside the 10 s function timeout and API Gateway's 30 s.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/levqor/serverless/shared/awsbus"
	"github.com/levqor/serverless/shared/awsconfig"
	"github.com/levqor/serverless/shared/bizhours"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/triage"
)

// attemptTimeout bounds one DynamoDB HTTP attempt.
const attemptTimeout = 2 * time.Second

func main() {
	set, err := readSettings(envconfig.OS)
	if err != nil {
		envconfig.Exit("tickets", err)
	}
	function := envconfig.String("AWS_LAMBDA_FUNCTION_NAME", "tickets")
	// Region, credentials and AWS_ENDPOINT_URL_* from the environment
	// Lambda (or the local stack) sets; no network call at init. See
	// shared/awsconfig for why not config.LoadDefaultConfig.
	service := envconfig.String("SERVICE_NAME", "levqor")
	logger := logging.New(os.Stdout, service, function)
	cfg, err := awsconfig.Load(os.Getenv, logger)
	if err != nil {
		envconfig.Exit("tickets", fmt.Errorf("AWS configuration: %w", err))
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(attemptTimeout)
	})
	h := &Handler{
		Function:    function,
		ServiceName: service,
		Logger:      logger,
		Metrics:     &metrics.Writer{W: os.Stdout},
		Service: &tickets.Service{
			Store:       &dynamo.Tickets{Client: db, Table: set.table},
			Idempotency: &dynamo.Idempotency{Client: db, Table: set.table, TTL: set.ttl},
			Router:      triage.Rules{},
			Calendar:    set.calendar,
		},
		Publisher: &awsbus.Bus{Client: eventbridge.NewFromConfig(cfg), Name: set.bus},
	}
	lambda.Start(h.Invoke)
}

// settings is the function's configuration from the environment.
type settings struct {
	table, bus string
	calendar   bizhours.Calendar
	ttl        time.Duration
}

// readSettings reads and checks the configuration. It returns an error
// naming the first variable that is missing or malformed, so a bad
// deployment fails at its first cold start with a clear message.
func readSettings(env envconfig.Source) (settings, error) {
	var s settings
	var err error
	if s.table, err = env.Required("TABLE_NAME", "the DynamoDB table tickets are stored in"); err != nil {
		return settings{}, err
	}
	if s.bus, err = env.Required("EVENT_BUS_NAME", "the EventBridge bus TicketCreated is published to"); err != nil {
		return settings{}, err
	}
	if s.calendar, err = bizhours.Parse(env("BUSINESS_HOURS"), env("BUSINESS_HOLIDAYS")); err != nil {
		return settings{}, fmt.Errorf("BUSINESS_HOURS/BUSINESS_HOLIDAYS: %w", err)
	}
	if s.ttl, err = env.Duration("IDEMPOTENCY_TTL", idempotency.DefaultTTL, time.Minute, 720*time.Hour); err != nil {
		return settings{}, err
	}
	return s, nil
}
