package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/e2e/stacktest"
	"github.com/levqor/serverless/infra/invoke"
)

// repoRoot is where template.yaml lives, seen from this package.
const repoRoot = "../.."

// built returns the folder of host-built function binaries and the devstack
// binary that infra/scripts/faults.sh builds, or skips the test.
func built(t *testing.T) (binDir, devstack string) {
	t.Helper()
	dir := os.Getenv(invoke.PrebuiltEnv)
	if dir == "" || os.Getenv("LEVQOR_FAULTS") == "" {
		t.Skip("fault tests run with `make faults` (infra/scripts/faults.sh sets LEVQOR_FAULTS and " + invoke.PrebuiltEnv + ")")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs, filepath.Join(abs, "devstack")
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// stack is the local stack (infra/devstack, run by stacktest) with the real
// function binaries, talking to DynamoDB Local through a Proxy. DynamoDB
// Local persists to a folder so it can be killed and restarted with its data.
type stack struct {
	URL   string
	Table string
	Proxy *Proxy
	DB    *dynamodb.Client // straight to DynamoDB Local, for checking the table
	Dev   *stacktest.Stack // the devstack: its output holds every function's log lines

	ddbOpts dynamolocal.Options
	mu      sync.Mutex
	ddb     *dynamolocal.Server
}

func newStack(t *testing.T, args ...string) *stack {
	t.Helper()
	binDir, devstack := built(t)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{}
	s.ddbOpts = dynamolocal.Options{DBPath: t.TempDir(), Port: freePort(t)}
	s.startDynamoDB(t)
	t.Cleanup(func() { s.KillDynamoDB(t) })
	s.Proxy = &Proxy{Target: "127.0.0.1:" + strconv.Itoa(s.ddbOpts.Port)}
	if err := s.Proxy.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Proxy.Close)
	s.DB = dynamolocal.NewClient("http://127.0.0.1:" + strconv.Itoa(s.ddbOpts.Port))

	// Start waits for the ready line and, at cleanup, sends Ctrl-C and
	// fails the test if a function process outlives the devstack.
	bins := stacktest.Binaries{Root: root, Template: filepath.Join(root, "template.yaml"), Bin: binDir, Devstack: devstack}
	s.Dev = stacktest.Start(t, bins, append([]string{"-dynamodb-endpoint", "http://" + s.Proxy.Addr(), "-schedules=false"}, args...)...)
	s.URL, s.Table = s.Dev.URL, s.Dev.Table
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("devstack output (last 8 KiB):\n%s", tail(s.Log(), 8<<10))
		}
	})
	return s
}

// Log is the devstack's output so far, one printed line per line.
func (s *stack) Log() string { return strings.Join(s.Dev.Lines(0), "\n") }

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (s *stack) startDynamoDB(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := dynamolocal.Start(ctx, s.ddbOpts)
	if err != nil {
		t.Fatalf("DynamoDB Local: %v", err)
	}
	s.mu.Lock()
	s.ddb = srv
	s.mu.Unlock()
}

// KillDynamoDB kills the DynamoDB Local process (its data stays on disk).
func (s *stack) KillDynamoDB(t *testing.T) {
	s.mu.Lock()
	srv := s.ddb
	s.ddb = nil
	s.mu.Unlock()
	if srv != nil {
		if err := srv.Stop(); err != nil {
			t.Logf("stopping DynamoDB Local: %v", err)
		}
	}
}

// RestartDynamoDB starts DynamoDB Local again on the same port and data.
func (s *stack) RestartDynamoDB(t *testing.T) { s.startDynamoDB(t) }

// answer is one HTTP exchange with the stack.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	Took   time.Duration
	Err    error
}

var client = &http.Client{Timeout: 40 * time.Second} // beyond API Gateway's 30 s: a hang shows as Took, not as a client error

func (s *stack) do(method, path, body string, hdr map[string]string) answer {
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return answer{Err: err}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{Err: err, Took: time.Since(t0)}
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b, Took: time.Since(t0), Err: err}
}

func (s *stack) createTicket(n int) answer {
	return s.do(http.MethodPost, "/api/support/tickets",
		fmt.Sprintf(`{"subject":"Fault %d","body":"Ticket sent while breaking things","tier":"growth"}`, n), nil)
}

// createKeyed sends ticket n with an Idempotency-Key, as a client that
// retries the same request after a failure does.
func (s *stack) createKeyed(key string, n int) answer {
	return s.do(http.MethodPost, "/api/support/tickets",
		fmt.Sprintf(`{"subject":"Keyed %d","body":"Retried until it is created","tier":"agency"}`, n),
		map[string]string{"Idempotency-Key": key})
}

// ticketsWithSubject counts the tickets in the table with that subject.
func (s *stack) ticketsWithSubject(t *testing.T, subject string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.Table),
		FilterExpression:          aws.String("subject = :s AND begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: subject}, ":p": &types.AttributeValueMemberS{Value: "TICKET#"}},
		ConsistentRead:            aws.Bool(true),
	}
	n := 0
	for {
		out, err := s.DB.Scan(ctx, in)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		n += len(out.Items)
		if len(out.LastEvaluatedKey) == 0 {
			return n
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func ticketID(a answer) string {
	var v struct {
		TicketID string `json:"ticket_id"`
	}
	json.Unmarshal(a.Body, &v)
	return v.TicketID
}

// stored reports whether the ticket is in the table.
func (s *stack) stored(t *testing.T, id string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TICKET#" + id}, "sk": &types.AttributeValueMemberS{Value: "TICKET"}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem %s: %v", id, err)
	}
	return len(out.Item) > 0
}

// checkUnavailable asserts a is a 503 problem document with Retry-After.
func checkUnavailable(t *testing.T, a answer) {
	t.Helper()
	if a.Status != 503 {
		t.Errorf("status %d, want 503: %s", a.Status, a.Body)
		return
	}
	if ct := a.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("503 with Content-Type %q: %s", ct, a.Body)
	}
	if ra, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("503 with Retry-After %q", a.Header.Get("Retry-After"))
	}
	var doc struct {
		Type          string `json:"type"`
		Status        int    `json:"status"`
		CorrelationID string `json:"correlation_id"`
	}
	if err := json.Unmarshal(a.Body, &doc); err != nil || doc.Status != 503 || !strings.HasSuffix(doc.Type, "/service-unavailable") || doc.CorrelationID == "" {
		t.Errorf("503 body is not the problem document: %s", a.Body)
	}
}

// noCrashes asserts the stack's output shows no panic and no function
// process that died, and returns how many times fn's environments ran init.
func noCrashes(t *testing.T, s *stack, fn string) int {
	t.Helper()
	out := s.Log()
	for _, bad := range []string{"panic:", "goroutine ", "Runtime.ExitError", "Task timed out"} {
		if strings.Contains(out, bad) {
			t.Errorf("devstack output contains %q", bad)
		}
	}
	inits := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, fn) && strings.Contains(l, "Init Duration") {
			inits++
		}
	}
	return inits
}
