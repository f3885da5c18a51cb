// Command tickets is the Lambda behind POST /api/support/tickets, and the
// TicketCreated publisher fed by the tickets table's DynamoDB stream.
//
// Configuration: the environment variables in README's table, read by
// readSettings.
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
	"github.com/levqor/serverless/shared/heap"
	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/triage"
)

// attemptTimeout bounds one DynamoDB HTTP attempt.
const attemptTimeout = 2 * time.Second

func main() {
	heap.ForLambda(os.Getenv) // the collector sized for Lambda before anything is built
	r := envconfig.OS.Reader()
	set := readSettings(r)
	if err := r.Err(); err != nil {
		envconfig.Exit("tickets", err)
	}
	service, function := set.service, set.function
	// Region, credentials and AWS_ENDPOINT_URL_* from the environment
	// Lambda (or the local stack) sets; no network call at init. See
	// shared/awsconfig for why not config.LoadDefaultConfig.
	logger := logging.New(os.Stdout, service, function)
	if set.calendar.StaleHolidays(time.Now()) {
		logger.Warn("BUSINESS_HOLIDAYS lists no date in this year or the next: SLA deadlines count through every holiday; renew the list or unset it for the England and Wales bank holidays by rule")
	}
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
			Store:    &dynamo.Tickets{Client: db, Table: set.table, TTL: set.ttl},
			Router:   triage.Rules{},
			Calendar: set.calendar,
		},
		Publisher: &awsbus.Bus{Client: eventbridge.NewFromConfig(cfg), Name: set.bus},
	}
	lambda.Start(h.Invoke)
}

// settings is the function's configuration from the environment.
type settings struct {
	table, bus        string
	service, function string
	calendar          bizhours.Calendar
	ttl               time.Duration
}

// readSettings reads and checks the configuration through r; r.Err reports
// every variable that is missing or malformed at once, so a bad deployment
// fails at its first cold start with a clear message.
func readSettings(r *envconfig.Reader) settings {
	var s settings
	s.table = r.Required("TABLE_NAME", "the DynamoDB table tickets are stored in")
	s.bus = r.Required("EVENT_BUS_NAME", "the EventBridge bus TicketCreated is published to")
	r.Parse("BUSINESS_HOURS", bizhours.DefaultSpec, func(spec string) (err error) {
		s.calendar, err = bizhours.Parse(spec, "none")
		return err
	})
	r.Parse("BUSINESS_HOLIDAYS", "", func(list string) (err error) {
		s.calendar, err = s.calendar.WithHolidays(list)
		return err
	})
	s.ttl = r.Duration("IDEMPOTENCY_TTL", idempotency.DefaultTTL, time.Minute, 720*time.Hour)
	s.service, s.function = r.Common("tickets")
	return s
}
