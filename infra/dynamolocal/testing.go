package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/samtemplate"
)

// EnvEndpoint names the variable holding a running DynamoDB Local's URL;
// `make test` sets it so every test package shares one server.
const EnvEndpoint = "DYNAMODB_ENDPOINT"

// Region is the region local clients sign for (the project's region).
const Region = "eu-west-2"

// shared is the per-test-binary server Endpoint starts on first use.
var shared struct {
	once   sync.Once
	server *Server
	err    error
}

// Endpoint returns the URL of a DynamoDB Local for tests: $DYNAMODB_ENDPOINT
// when set, else a server started once per test binary (see the package
// doc for how it is stopped). When DynamoDB Local is not installed it fails
// the test if $CI is set (CI must never skip storage tests) and skips it
// otherwise, naming the install command; any other start error fails it.
func Endpoint(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep
	}
	shared.once.Do(func() {
		shared.server, shared.err = Start(context.Background(), Options{})
	})
	if err := shared.err; err != nil {
		if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
			t.Skipf("DynamoDB Local not available (%v); install it with: %s", err, InstallHint)
		}
		t.Fatalf("DynamoDB Local: %v", err)
	}
	return shared.server.Endpoint
}

// Main runs a package's tests and then stops the server Endpoint may have
// started. Call it from TestMain: func TestMain(m *testing.M) { dynamolocal.Main(m) }.
// It exits the process with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	if shared.server != nil {
		_ = shared.server.Stop()
	}
	os.Exit(code)
}

// NewClient returns a DynamoDB client for a local endpoint: static dummy
// credentials, region eu-west-2, SDK defaults otherwise. It never reads the
// machine's AWS configuration, so tests cannot reach a real account.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// Client is NewClient for a test; t is taken for symmetry and future
// cleanup and is not used to fail.
func Client(t testing.TB, endpoint string) *dynamodb.Client {
	t.Helper()
	return NewClient(endpoint)
}

var tpl struct {
	once sync.Once
	t    *samtemplate.Template
	err  error
}

// Template returns the module's template.yaml (found by walking up from the
// working directory to go.mod), loaded once without overrides. It returns
// samtemplate's errors.
func Template() (*samtemplate.Template, error) {
	tpl.once.Do(func() {
		path, err := samtemplate.FindTemplate(".")
		if err != nil {
			tpl.err = err
			return
		}
		tpl.t, tpl.err = samtemplate.Load(path, samtemplate.Options{})
	})
	return tpl.t, tpl.err
}

// CreateTable creates the table name from the template's TicketsTable
// definition, waits until it is ACTIVE and enables its TTL attribute. An
// existing table of that name is left as it is (make dev with a persisted
// database). It returns the template's or DynamoDB's error.
func CreateTable(ctx context.Context, client *dynamodb.Client, t *samtemplate.Template, name string) error {
	in := t.TableCreateInput(name)
	if in == nil {
		return fmt.Errorf("dynamolocal: template has no %s", samtemplate.TableLogicalID)
	}
	_, err := client.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamolocal: create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("dynamolocal: table %s not active: %w", name, err)
	}
	if attr := t.TableTTLAttribute(); attr != "" {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("dynamolocal: TTL on %s: %w", name, err)
		}
	}
	return nil
}

// unsafeName matches what DynamoDB table names cannot hold.
var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// Table creates a fresh, uniquely named table from template.yaml's
// TicketsTable (key schema, stream, TTL) and deletes it when the test ends.
// It fails the test when the template cannot be read or the table cannot
// be created.
func Table(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	tp, err := Template()
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	name := unsafeName.ReplaceAllString(t.Name(), "_")
	if len(name) > 180 {
		name = name[:180]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name = "test-" + name + "-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := CreateTable(ctx, client, tp, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Logf("delete table %s: %v", name, err)
		}
	})
	return name
}
