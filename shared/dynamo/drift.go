package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/problem"
)

// DriftAPI is the DynamoDB calls DriftReports makes.
type DriftAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DriftReports keeps drift reports (drift.ReportStore) under pk
// "DRIFT#REPORT" with sort key "<rfc3339 millis>#<id>", so the newest
// report sorts last.
type DriftReports struct {
	Client    DriftAPI
	Table     string
	Retention time.Duration    // zero means drift.DefaultRetention
	Now       func() time.Time // default time.Now
	NewID     func() string    // default correlation.New
}

// Save stores r as a new item that expires after the retention. Its errors
// are *problem.Error: Unavailable when DynamoDB cannot be reached, Internal
// otherwise; a key collision (same millisecond and id) fails rather than
// overwriting a report.
func (s *DriftReports) Save(ctx context.Context, r drift.Report) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("dynamo: encode drift report: %w", err)
	}
	now, newID := time.Now, correlation.New
	if s.Now != nil {
		now = s.Now
	}
	if s.NewID != nil {
		newID = s.NewID
	}
	keep := s.Retention
	if keep <= 0 {
		keep = drift.DefaultRetention
	}
	t := now().UTC()
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			AttrPK:      &types.AttributeValueMemberS{Value: DriftReportPK},
			AttrSK:      &types.AttributeValueMemberS{Value: t.Format(sortTime) + "#" + newID()},
			"status":    &types.AttributeValueMemberS{Value: r.Status},
			"baseline":  &types.AttributeValueMemberS{Value: r.Baseline},
			"report":    &types.AttributeValueMemberS{Value: string(body)},
			AttrExpires: &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Add(keep).Unix(), 10)},
		},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil {
		return storeError(err, "the drift report store (write)")
	}
	return nil
}

// Latest returns the newest stored report. It returns drift.ErrNoReport when there
// is none; otherwise its errors are *problem.Error: Unavailable when
// DynamoDB cannot be reached, Internal for any other failure, a stored item
// that is not a report included.
func (s *DriftReports) Latest(ctx context.Context) (drift.Report, error) {
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: DriftReportPK}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return drift.Report{}, storeError(err, "the drift report store (read)")
	}
	if len(out.Items) == 0 {
		return drift.Report{}, drift.ErrNoReport
	}
	v, ok := out.Items[0]["report"].(*types.AttributeValueMemberS)
	if !ok {
		return drift.Report{}, problem.Wrap(problem.Internal, errors.New("dynamo: stored drift report has no report attribute"), "")
	}
	var r drift.Report
	if err := json.Unmarshal([]byte(v.Value), &r); err != nil {
		return drift.Report{}, problem.Wrap(problem.Internal, fmt.Errorf("dynamo: decode stored drift report: %w", err), "")
	}
	return r, nil
}
