package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/monitor"
)

func TestStore(t *testing.T) {
	ep := dynamolocal.Endpoint(t)
	client := dynamolocal.Client(t, ep)
	table := dynamolocal.Table(t, client)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ids := 0
	s := &Store{Client: client, Table: table,
		Now:   func() time.Time { return now },
		NewID: func() string { ids++; return "id" + strconv.Itoa(ids) }}
	ctx := context.Background()

	if _, err := s.Latest(ctx); !errors.Is(err, ErrNoReport) {
		t.Fatalf("Latest on an empty table = %v, want ErrNoReport", err)
	}
	older := NewReport("v12.12", now, []Check{{Name: "a", Category: "x", Status: Fail}})
	if err := s.Save(ctx, older); err != nil {
		t.Fatal(err)
	}
	// A report stored 10ms later on a clock whose RFC3339Nano form would be
	// shorter (…12:00:00.01Z sorts before …12:00:00.005Z): keys must still order.
	now = now.Add(10 * time.Millisecond)
	newer := NewReport("v12.12", now, []Check{{Name: "a", Category: "x", Status: Pass}})
	if err := s.Save(ctx, newer); err != nil {
		t.Fatal(err)
	}
	got, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != InSync || len(got.Checks) != 1 || got.Checks[0].Status != Pass {
		t.Errorf("Latest = %+v, want the newer in-sync report", got)
	}

	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: ReportKey},
		"sk": &types.AttributeValueMemberS{Value: "2026-11-25T12:00:00.010Z#id2"},
	}})
	if err != nil || out.Item == nil {
		t.Fatalf("stored item not found under its key: %v", err)
	}
	exp, _ := out.Item["expires_at"].(*types.AttributeValueMemberN)
	if want := strconv.FormatInt(now.Add(90*24*time.Hour).Unix(), 10); exp == nil || exp.Value != want {
		t.Errorf("expires_at = %v, want %s (90 days)", out.Item["expires_at"], want)
	}

	ids = 1 // the same millisecond and id again: refused, not overwritten
	if err := s.Save(ctx, older); err == nil {
		t.Error("Save over an existing key succeeded, want a conditional-check failure")
	}
	if _, err := (&Store{Client: client, Table: "no-such-table"}).Latest(ctx); err == nil || errors.Is(err, ErrNoReport) {
		t.Errorf("Latest on a missing table = %v, want the DynamoDB error", err)
	}
}

func TestRunner(t *testing.T) {
	putOK := awsJSON("1.1", `{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}`)
	drifted := CodePolicy()
	drifted.Policy.TrialDays = 14
	cases := []struct {
		name      string
		code      Code
		put       reply
		published bool
		wantErr   string
	}{
		{"in sync publishes nothing", CodePolicy(), putOK, false, ""},
		{"drift publishes DriftDetected", drifted, putOK, true, ""},
		{"publish failure is returned", drifted, awsJSONError("1.1", 400, "ThrottlingException", "Rate exceeded"), true, "publish DriftDetected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bus := newFake(t, targetOp, map[string][]reply{"PutEvents": {tc.put}})
			var logs bytes.Buffer
			code := tc.code
			r := &Runner{
				Scanner: &Scanner{Baseline: baseline(t), Code: &code},
				Bus:     &eventbus.Bus{Client: eventsClient(bus.URL()), Name: "levqor-dev"},
				Monitor: monitor.Log{Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
			}
			rep, err := r.Run(context.Background(), Target{}, "cid-12345678")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Run error = %v, want %q", err, tc.wantErr)
			}
			if got := bus.count("PutEvents") > 0; got != tc.published {
				t.Fatalf("published = %v, want %v", got, tc.published)
			}
			if !tc.published {
				if logs.Len() != 0 {
					t.Errorf("monitor told of an in-sync scan: %s", logs.String())
				}
				return
			}
			var in struct {
				Entries []struct{ Source, DetailType, Detail, EventBusName string }
			}
			if err := json.Unmarshal([]byte(bus.body("PutEvents", 0)), &in); err != nil || len(in.Entries) != 1 {
				t.Fatalf("PutEvents body %q: %v", bus.body("PutEvents", 0), err)
			}
			e := in.Entries[0]
			var d DriftDetectedDetail
			_ = json.Unmarshal([]byte(e.Detail), &d)
			if e.Source != "levqor.drift" || e.DetailType != "DriftDetected" || e.EventBusName != "levqor-dev" ||
				len(d.Failed) != 1 || d.Failed[0] != "policy.trial" || d.Baseline != "v12.12" || d.Summary != rep.Summary {
				t.Errorf("event = %+v detail %+v", e, d)
			}
			if !strings.Contains(logs.String(), `"category":"drift"`) || !strings.Contains(logs.String(), "policy.trial") {
				t.Errorf("monitor log = %s", logs.String())
			}
		})
	}
}
