package awsdrift

// Fake AWS endpoints for the tests: each speaks one service's wire protocol
// (awsJson1_0/1_1, restJson1, awsQuery) to the real SDK client pointed at it
// through BaseEndpoint, answering recorded responses.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/warmup"
)

// reply is one recorded response. A delay holds the answer back (the slow
// case) until the client gives up.
type reply struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
}

// fake is an httptest server answering by operation. Operations without a
// reply go to next (a real endpoint) when set, else fail the test.
type fake struct {
	t       testing.TB
	op      func(*http.Request) string
	replies map[string][]reply // served in order; the last one repeats
	next    http.Handler
	mu      sync.Mutex
	calls   map[string]int
	bodies  map[string][]string
	srv     *httptest.Server
}

func newFake(t testing.TB, op func(*http.Request) string, replies map[string][]reply) *fake {
	t.Helper()
	f := &fake{t: t, op: op, replies: replies, calls: map[string]int{}, bodies: map[string][]string{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) URL() string { return f.srv.URL }

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client gave up mid-request (a test's budget ran out): no operation to judge
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := f.op(r)
	r.Body = io.NopCloser(bytes.NewReader(body)) // again for a proxied request
	f.mu.Lock()
	n := f.calls[op]
	f.calls[op]++
	f.bodies[op] = append(f.bodies[op], string(body))
	rs, ok := f.replies[op]
	f.mu.Unlock()
	if !ok {
		if f.next != nil {
			f.next.ServeHTTP(w, r)
			return
		}
		f.t.Errorf("fake AWS: unexpected operation %q (%s %s)", op, r.Method, r.URL)
		http.Error(w, "unexpected", http.StatusNotImplemented)
		return
	}
	rep := rs[min(n, len(rs)-1)]
	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	fmt.Fprint(w, rep.body)
}

func (f *fake) body(op string, i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.bodies[op]) {
		return ""
	}
	return f.bodies[op][i]
}

func (f *fake) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Operation names per protocol.

// targetOp names an awsJson call by its X-Amz-Target operation.
func targetOp(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	return t[strings.LastIndexByte(t, '.')+1:]
}

var (
	lambdaPath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/configuration$`)
	invokePath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/invocations$`)
)

// lambdaOp names GetFunctionConfiguration and Invoke calls by function:
// "GetFunctionConfiguration:<name>", "Invoke:<name>".
func lambdaOp(r *http.Request) string {
	if m := lambdaPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		return "GetFunctionConfiguration:" + m[1]
	}
	if m := invokePath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
		return "Invoke:" + m[1]
	}
	return r.Method + " " + r.URL.Path
}

// introspection is a function's answer to the introspection payload, with
// the given policy and build.
func introspection(fn string, code drift.Code, build string) reply {
	b, _ := json.Marshal(warmup.Introspection{Function: fn, Version: "1.0.0", Build: build, Tiers: code.Tiers, Policy: code.Policy})
	return reply{status: 200, header: map[string]string{"Content-Type": "application/json"}, body: string(b)}
}

// introspector answers the introspection in process: every function with
// build and the tickets function with code.
type introspector struct {
	code  drift.Code
	build string
}

func (f introspector) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return nil, errors.New("not answered here")
}

func (f introspector) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	b, _ := json.Marshal(warmup.Introspection{Function: aws.ToString(in.FunctionName), Build: f.build, Tiers: f.code.Tiers, Policy: f.code.Policy})
	return &lambda.InvokeOutput{StatusCode: 200, Payload: b}, nil
}

var routesPath = regexp.MustCompile(`^/v2/apis/([^/]+)/routes$`)

// routesOp names GetRoutes calls by api id and page token:
// "GetRoutes:<api>:<nextToken>".
func routesOp(r *http.Request) string {
	if m := routesPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		return "GetRoutes:" + m[1] + ":" + r.URL.Query().Get("nextToken")
	}
	return r.Method + " " + r.URL.Path
}

// queryOp names an awsQuery call by its form Action.
func queryOp(r *http.Request) string {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		return "bad request"
	}
	return r.PostForm.Get("Action")
}

// Response builders per protocol.

func awsJSON(version, body string) reply {
	return reply{status: 200, header: map[string]string{"Content-Type": "application/x-amz-json-" + version}, body: body}
}

func awsJSONError(version string, status int, code, msg string) reply {
	return reply{status: status, header: map[string]string{"Content-Type": "application/x-amz-json-" + version},
		body: fmt.Sprintf(`{"__type":%q,"message":%q}`, code, msg)}
}

func restJSON(body string) reply {
	return reply{status: 200, header: map[string]string{"Content-Type": "application/json"}, body: body}
}

func restError(status int, code, msg string) reply {
	return reply{status: status, header: map[string]string{"Content-Type": "application/json", "X-Amzn-ErrorType": code},
		body: fmt.Sprintf(`{"message":%q,"Message":%q}`, msg, msg)}
}

const cfnNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

func query(action, result string) reply {
	return reply{status: 200, header: map[string]string{"Content-Type": "text/xml"},
		body: fmt.Sprintf(`<%[1]sResponse xmlns="%[2]s"><%[1]sResult>%[3]s</%[1]sResult><ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata></%[1]sResponse>`, action, cfnNS, result)}
}

func queryError(status int, code, msg string) reply {
	return reply{status: status, header: map[string]string{"Content-Type": "text/xml"},
		body: fmt.Sprintf(`<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>c0e0f1f2-example</RequestId></ErrorResponse>`, cfnNS, code, msg)}
}

// slow delays r far past any test budget.
func slow(r reply) reply { r.delay = time.Minute; return r }

// proxyTo forwards unrecorded operations to a real endpoint (DynamoDB Local).
func proxyTo(t testing.TB, endpoint string) http.Handler {
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// SDK clients for a fake: dummy credentials, one attempt (so throttling is
// seen at once rather than retried with backoff).

var testCreds = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

const testRegion = "eu-west-2"

func ddbClient(ep string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: testRegion, BaseEndpoint: aws.String(ep), Credentials: testCreds, RetryMaxAttempts: 1})
}

func eventsClient(ep string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{Region: testRegion, BaseEndpoint: aws.String(ep), Credentials: testCreds, RetryMaxAttempts: 1})
}

func lambdaClient(ep string) *lambda.Client {
	return lambda.New(lambda.Options{Region: testRegion, BaseEndpoint: aws.String(ep), Credentials: testCreds, RetryMaxAttempts: 1})
}

func routesClient(ep string) *apigatewayv2.Client {
	return apigatewayv2.New(apigatewayv2.Options{Region: testRegion, BaseEndpoint: aws.String(ep), Credentials: testCreds, RetryMaxAttempts: 1})
}

func cfnClient(ep string) *cloudformation.Client {
	return cloudformation.New(cloudformation.Options{Region: testRegion, BaseEndpoint: aws.String(ep), Credentials: testCreds, RetryMaxAttempts: 1})
}

// Recorded responses, shaped like the services' documented examples.

const (
	testAccount = "123456789012"
	testVersion = "1.0.0"
)

func fnName(logicalID string) string { return "levqor-dev-" + logicalID + "-1A2B3C4D5E6F" }

func fnARN(logicalID string) string {
	return "arn:aws:lambda:eu-west-2:" + testAccount + ":function:" + fnName(logicalID)
}

// fnConfig is a GetFunctionConfiguration response.
func fnConfig(logicalID, runtime, arch, version string) reply {
	return restJSON(fmt.Sprintf(`{"FunctionName":%q,"FunctionArn":%q,"Runtime":%q,
"Role":"arn:aws:iam::%s:role/levqor-dev-%sRole-XYZ","Handler":"bootstrap","CodeSize":6291456,
"Description":"","Timeout":10,"MemorySize":256,"LastModified":"2026-11-20T10:00:00.000+0000",
"CodeSha256":"dGVzdA==","Version":"$LATEST","Environment":{"Variables":{"APP_VERSION":%q,"STAGE":"dev","SERVICE_NAME":"levqor"}},
"TracingConfig":{"Mode":"Active"},"RevisionId":"4c1b4f2e-example","State":"Active","LastUpdateStatus":"Successful",
"PackageType":"Zip","Architectures":[%q],"EphemeralStorage":{"Size":512},
"LoggingConfig":{"LogFormat":"JSON","ApplicationLogLevel":"INFO","SystemLogLevel":"WARN","LogGroup":"/aws/lambda/%s"}}`,
		fnName(logicalID), fnARN(logicalID), runtime, testAccount, logicalID, version, arch, fnName(logicalID)))
}

func describeRule(state, schedule string) reply {
	return awsJSON("1.1", fmt.Sprintf(`{"Name":"levqor-dev-keepalive-hourly","Arn":"arn:aws:events:eu-west-2:%s:rule/levqor-dev-keepalive-hourly",
"ScheduleExpression":%q,"State":%q,"EventBusName":"default","CreatedBy":%q}`, testAccount, schedule, state, testAccount))
}

func listTargets(arns ...string) reply {
	var ts []string
	for i, a := range arns {
		ts = append(ts, fmt.Sprintf(`{"Id":"KeepaliveFunctionHourly%d","Arn":%q,"Input":"{\"source\":\"levqor.schedule\"}","RetryPolicy":{"MaximumRetryAttempts":2,"MaximumEventAgeInSeconds":900}}`, i, a))
	}
	return awsJSON("1.1", `{"Targets":[`+strings.Join(ts, ",")+`]}`)
}

func routesPage(next string, keys ...string) reply {
	var items []string
	for i, k := range keys {
		items = append(items, fmt.Sprintf(`{"apiKeyRequired":false,"authorizationType":"NONE","routeId":"r%03d","routeKey":%q,"target":"integrations/i%03d"}`, i, k, i))
	}
	body := `{"items":[` + strings.Join(items, ",") + `]`
	if next != "" {
		body += fmt.Sprintf(`,"nextToken":%q`, next)
	}
	return restJSON(body + "}")
}

func detectionStatus(detection, drift string) reply {
	return query("DescribeStackDriftDetectionStatus", fmt.Sprintf(`<StackId>arn:aws:cloudformation:eu-west-2:%s:stack/levqor-dev/5f0f8a10-example</StackId>
<StackDriftDetectionId>b78ac9b0-dec1-11e8-a451-example</StackDriftDetectionId><StackDriftStatus>%s</StackDriftStatus>
<DetectionStatus>%s</DetectionStatus><DriftedStackResourceCount>1</DriftedStackResourceCount><Timestamp>2026-11-25T12:00:00.000Z</Timestamp>`,
		testAccount, drift, detection))
}

var detectStarted = query("DetectStackDrift", `<StackDriftDetectionId>b78ac9b0-dec1-11e8-a451-example</StackDriftDetectionId>`)

var resourceDrifts = query("DescribeStackResourceDrifts", `<StackResourceDrifts><member>
<StackId>arn:aws:cloudformation:eu-west-2:123456789012:stack/levqor-dev/5f0f8a10-example</StackId>
<LogicalResourceId>TicketsTable</LogicalResourceId><PhysicalResourceId>levqor-dev-TicketsTable-ABC</PhysicalResourceId>
<ResourceType>AWS::DynamoDB::Table</ResourceType><StackResourceDriftStatus>MODIFIED</StackResourceDriftStatus>
<PropertyDifferences><member><PropertyPath>/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled</PropertyPath>
<ExpectedValue>true</ExpectedValue><ActualValue>false</ActualValue><DifferenceType>NOT_EQUAL</DifferenceType></member></PropertyDifferences>
<Timestamp>2026-11-25T12:00:01.000Z</Timestamp></member></StackResourceDrifts>`)

// healthServer answers GET /health like the health function.
func healthServer(t testing.TB, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/dev/health" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/dev"
}

// withBudget runs fn with a short context, as a scan's budget would.
func withBudget(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
