package localbus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

// newClient returns the real SDK client pointed at a fresh bus.
func newClient(t *testing.T) (*eventbridge.Client, *Bus, *[][]byte) {
	t.Helper()
	bus := New("eu-west-2", "000000000000", []Rule{{
		Name: "levqor-local-keepalive-hourly", ScheduleExpression: "rate(1 hour)",
		TargetID: "KeepaliveFunctionHourly", TargetARN: "arn:aws:lambda:eu-west-2:000000000000:function:KeepaliveFunction",
		Input: `{"source":"levqor.schedule"}`,
	}})
	var mu sync.Mutex
	printed := &[][]byte{}
	bus.Print = func(line []byte) {
		mu.Lock()
		defer mu.Unlock()
		*printed = append(*printed, line)
	}
	srv := httptest.NewServer(bus)
	t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:      retry.AddWithMaxAttempts(retry.NewStandard(), 1),
	})
	return client, bus, printed
}

func entry(source, detailType, detail string) types.PutEventsRequestEntry {
	return types.PutEventsRequestEntry{
		Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail),
		EventBusName: aws.String("levqor-local"),
	}
}

func TestPutEventsWithSDK(t *testing.T) {
	client, bus, printed := newClient(t)
	out, err := client.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry("levqor.support", "TicketCreated", `{"ticket_id":"TKT-ABCDEFGH"}`),
		entry("levqor.support", "TicketCreated", `not json`),
		{DetailType: aws.String("X"), Detail: aws.String(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 2 || len(out.Entries) != 3 {
		t.Fatalf("FailedEntryCount %d, %d entries; want 2 of 3", out.FailedEntryCount, len(out.Entries))
	}
	tests := []struct {
		name     string
		got      types.PutEventsResultEntry
		wantCode string
	}{
		{"valid entry", out.Entries[0], ""},
		{"malformed detail", out.Entries[1], "MalformedDetail"},
		{"missing source", out.Entries[2], "InvalidArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if aws.ToString(tc.got.ErrorCode) != tc.wantCode {
				t.Errorf("ErrorCode %q, want %q", aws.ToString(tc.got.ErrorCode), tc.wantCode)
			}
			if (tc.wantCode == "") != (aws.ToString(tc.got.EventId) != "") {
				t.Errorf("EventId %q with ErrorCode %q", aws.ToString(tc.got.EventId), tc.wantCode)
			}
		})
	}

	if len(*printed) != 1 {
		t.Fatalf("%d events printed, want 1", len(*printed))
	}
	var ev map[string]any
	if err := json.Unmarshal((*printed)[0], &ev); err != nil {
		t.Fatalf("printed line is not JSON: %s", (*printed)[0])
	}
	want := map[string]any{"version": "0", "source": "levqor.support", "detail-type": "TicketCreated",
		"account": "000000000000", "region": "eu-west-2", "id": aws.ToString(out.Entries[0].EventId), "event-bus-name": "levqor-local"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("printed %s = %v, want %v", k, ev[k], v)
		}
	}
	if d, _ := ev["detail"].(map[string]any); d["ticket_id"] != "TKT-ABCDEFGH" {
		t.Errorf("printed detail %v", ev["detail"])
	}
	if got := bus.Events(); len(got) != 1 || got[0].ID != aws.ToString(out.Entries[0].EventId) {
		t.Errorf("Events() = %+v", got)
	}
}

func TestPutEventsValidation(t *testing.T) {
	client, _, _ := newClient(t)
	tests := []struct {
		name    string
		entries int
	}{
		{"eleven entries", 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &eventbridge.PutEventsInput{}
			for range tc.entries {
				in.Entries = append(in.Entries, entry("s", "d", `{}`))
			}
			_, err := client.PutEvents(context.Background(), in)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
				t.Errorf("err = %v, want ValidationException", err)
			}
		})
	}
}

func TestProtocolErrors(t *testing.T) {
	bus := New("eu-west-2", "000000000000", nil)
	tests := []struct {
		name, method, target, body string
		wantStatus                 int
		wantType                   string
	}{
		{"no entries", "POST", "AWSEvents.PutEvents", `{"Entries":[]}`, 400, "ValidationException"},
		{"bad JSON", "POST", "AWSEvents.PutEvents", `{`, 400, "SerializationException"},
		{"no target", "POST", "", `{}`, 400, "UnknownOperationException"},
		{"GET", "GET", "AWSEvents.PutEvents", ``, 400, "UnknownOperationException"},
		{"too large", "POST", "AWSEvents.PutEvents", strings.Repeat("x", maxRequest+1), 413, "ValidationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Target", tc.target)
			rec := httptest.NewRecorder()
			bus.ServeHTTP(rec, req)
			var doc map[string]string
			_ = json.Unmarshal(rec.Body.Bytes(), &doc)
			if rec.Code != tc.wantStatus || doc["__type"] != tc.wantType {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tc.wantStatus, tc.wantType)
			}
		})
	}
}

func TestFailureModes(t *testing.T) {
	client, bus, printed := newClient(t)
	in := &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("s", "d", `{}`)}}

	if err := bus.SetFailure(FailAll); err != nil {
		t.Fatal(err)
	}
	_, err := client.PutEvents(context.Background(), in)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalException" {
		t.Errorf("fail=all: err = %v, want InternalException", err)
	}

	if err := bus.SetFailure(FailEntries); err != nil {
		t.Fatal(err)
	}
	out, err := client.PutEvents(context.Background(), in)
	if err != nil || out.FailedEntryCount != 1 || aws.ToString(out.Entries[0].ErrorCode) != "InternalFailure" {
		t.Errorf("fail=entries: %v %+v, want one InternalFailure entry", err, out)
	}

	if err := bus.SetFailure(FailNone); err != nil {
		t.Fatal(err)
	}
	out, err = client.PutEvents(context.Background(), in)
	if err != nil || out.FailedEntryCount != 0 {
		t.Errorf("recovered: %v %+v", err, out)
	}
	if len(*printed) != 1 {
		t.Errorf("%d events printed, want only the one after recovery", len(*printed))
	}
	if err := bus.SetFailure("sometimes"); err == nil {
		t.Error("SetFailure accepted an unknown mode")
	}
}

func TestRulesWithSDK(t *testing.T) {
	client, _, _ := newClient(t)
	ctx := context.Background()
	rule, err := client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("levqor-local-keepalive-hourly")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(rule.ScheduleExpression) != "rate(1 hour)" || rule.State != types.RuleStateEnabled ||
		!strings.HasSuffix(aws.ToString(rule.Arn), ":rule/levqor-local-keepalive-hourly") {
		t.Errorf("DescribeRule = %+v", rule)
	}
	targets, err := client.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("levqor-local-keepalive-hourly")})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Targets) != 1 || !strings.HasSuffix(aws.ToString(targets.Targets[0].Arn), ":function:KeepaliveFunction") {
		t.Errorf("ListTargetsByRule = %+v", targets.Targets)
	}
	_, err = client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown rule: %v, want ResourceNotFoundException", err)
	}
	_, err = client.ListRules(ctx, &eventbridge.ListRulesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
		t.Errorf("unemulated operation: %v", err)
	}
}

func TestEventTimeFromEntry(t *testing.T) {
	client, bus, _ := newClient(t)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e := entry("s", "d", `{}`)
	e.Time = aws.Time(at)
	if _, err := client.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{e}}); err != nil {
		t.Fatal(err)
	}
	if got := bus.Events()[0].Time.Format(time.RFC3339); got != "2026-11-25T12:00:00Z" {
		t.Errorf("time %q", got)
	}
}
