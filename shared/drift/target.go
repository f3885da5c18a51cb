package drift

// Target is the deployed API a scan looks at. Both fields come from the
// invocation (schedule input or request context): the function cannot hold
// them in its environment without a circular template dependency.
type Target struct {
	APIURL string // e.g. https://abc.execute-api.eu-west-2.amazonaws.com/dev
	APIID  string
}

// The services a scan talks to, as named in DRIFT_SKIP and the scanner's
// NotConfigured reasons.
const (
	ServiceDynamoDB       = "dynamodb"
	ServiceEvents         = "events"
	ServiceLambda         = "lambda"
	ServiceAPIGateway     = "apigateway"
	ServiceCloudFormation = "cloudformation"
	ServiceHealth         = "health"
)

// Services lists every service name a scan can skip.
var Services = []string{ServiceDynamoDB, ServiceEvents, ServiceLambda, ServiceAPIGateway, ServiceCloudFormation, ServiceHealth}
