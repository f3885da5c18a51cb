package dynamolocal

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestMain(m *testing.M) { Main(m) }

func TestTablePutGet(t *testing.T) {
	client := Client(t, Endpoint(t))
	ctx := context.Background()
	table := Table(t, client)
	other := Table(t, client)
	if table == other || !strings.HasPrefix(table, "test-TestTablePutGet-") {
		t.Fatalf("table names %q and %q: want unique names carrying the test name", table, other)
	}

	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	d := desc.Table
	if d.TableStatus != types.TableStatusActive || d.StreamSpecification == nil || !aws.ToBool(d.StreamSpecification.StreamEnabled) {
		t.Errorf("table status %s, stream %+v: want ACTIVE with a stream", d.TableStatus, d.StreamSpecification)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(ttl.TimeToLiveDescription.AttributeName); got != "expires_at" {
		t.Errorf("TTL attribute = %q, want expires_at from template.yaml", got)
	}

	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "TICKET#T1"},
		"sk": &types.AttributeValueMemberS{Value: "TICKET"},
	}
	item := map[string]types.AttributeValue{"subject": &types.AttributeValueMemberS{Value: "hello"}}
	for k, v := range key {
		item[k] = v
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := got.Item["subject"].(*types.AttributeValueMemberS); !ok || s.Value != "hello" {
		t.Errorf("GetItem = %v, want subject hello", got.Item)
	}
	// The table was not created in the other table.
	got, err = client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(other), Key: key})
	if err != nil || len(got.Item) != 0 {
		t.Errorf("other table holds %v (%v), want nothing", got.Item, err)
	}
}

func TestStartStop(t *testing.T) {
	jar, err := FindJar(".")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	s, err := startJar(context.Background(), jar, Options{DBPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	client := NewClient(s.Endpoint)
	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables on a fresh server: %v", err)
	}
	// A web page's origin may not call it from a browser.
	for _, tc := range []struct {
		origin string
		allow  bool
	}{{"https://example.com", false}, {"http://localhost:3000", false}, {noBrowserOrigin, true}} {
		req, _ := http.NewRequest(http.MethodOptions, s.Endpoint, nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "x-amz-target,content-type,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin") != ""; got != tc.allow {
			t.Errorf("preflight from %s: allowed %v, want %v", tc.origin, got, tc.allow)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("java pid %d still there after Stop (kill 0: %v)", pid, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "shared-local-instance.db")); err != nil {
		t.Errorf("DBPath not used: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	t.Run("missing jar", func(t *testing.T) {
		t.Chdir(t.TempDir()) // no module, so no jar, above it
		if s, err := Start(context.Background(), Options{}); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("Start = %v, %v; want ErrNotInstalled", s, err)
		}
	})
	t.Run("missing java", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if s, err := startJar(context.Background(), os.Args[0], Options{}); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("Start = %v, %v; want ErrNotInstalled", s, err)
		}
	})
	t.Run("early exit", func(t *testing.T) {
		// A file that is not a jar makes java exit at once: Start must say so, not wait.
		_, err := startJar(context.Background(), os.Args[0], Options{})
		if err == nil || errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "exited") {
			t.Errorf("Start on a non-jar = %v, want an early-exit error", err)
		}
	})
	t.Run("find jar outside a module", func(t *testing.T) {
		if _, err := FindJar(t.TempDir()); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("FindJar = %v, want ErrNotInstalled", err)
		}
	})
}
