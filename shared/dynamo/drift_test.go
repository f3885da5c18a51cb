package dynamo_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/dynamo"
)

func TestDriftReports(t *testing.T) {
	ep := dynamolocal.Endpoint(t)
	client := dynamolocal.Client(t, ep)
	table := dynamolocal.Table(t, client)
	// Noon today: DynamoDB Local applies the table's TTL (90 days here) to
	// the real clock, so a fixed date would make the reports vanish.
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	ids := 0
	s := &dynamo.DriftReports{Client: client, Table: table,
		Now:   func() time.Time { return now },
		NewID: func() string { ids++; return "id" + strconv.Itoa(ids) }}
	ctx := context.Background()

	if _, err := s.Latest(ctx); !errors.Is(err, drift.ErrNoReport) {
		t.Fatalf("Latest on an empty table = %v, want drift.ErrNoReport", err)
	}
	older := drift.NewReport("v12.12", now, []drift.Check{{Name: "a", Category: "x", Status: drift.Fail}})
	if err := s.Save(ctx, older); err != nil {
		t.Fatal(err)
	}
	// A report stored 10ms later on a clock whose RFC3339Nano form would be
	// shorter (…12:00:00.01Z sorts before …12:00:00.005Z): keys must still order.
	now = now.Add(10 * time.Millisecond)
	newer := drift.NewReport("v12.12", now, []drift.Check{{Name: "a", Category: "x", Status: drift.Pass}})
	if err := s.Save(ctx, newer); err != nil {
		t.Fatal(err)
	}
	got, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != drift.InSync || len(got.Checks) != 1 || got.Checks[0].Status != drift.Pass {
		t.Errorf("Latest = %+v, want the newer in-sync report", got)
	}

	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: dynamo.DriftReportPK},
		"sk": &types.AttributeValueMemberS{Value: now.Format(time.DateOnly) + "T12:00:00.010Z#id2"},
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
	if _, err := (&dynamo.DriftReports{Client: client, Table: "no-such-table"}).Latest(ctx); err == nil || errors.Is(err, drift.ErrNoReport) {
		t.Errorf("Latest on a missing table = %v, want the DynamoDB error", err)
	}
}
