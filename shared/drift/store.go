package drift

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
)

// StoreAPI is the DynamoDB calls report storage makes.
type StoreAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// ReportKey is the partition every report is stored under; the sort key is
// "<rfc3339 millis>#<id>", so the newest report sorts last.
const ReportKey = "DRIFT#REPORT"

// DefaultRetention is how long DynamoDB keeps a report (TTL on expires_at).
const DefaultRetention = 90 * 24 * time.Hour

// sortLayout is RFC 3339 in UTC with fixed-width milliseconds: unlike
// RFC3339Nano it never trims digits, so keys sort in time order as strings.
const sortLayout = "2006-01-02T15:04:05.000Z"

// ErrNoReport is returned by Latest when no report has been stored.
var ErrNoReport = errors.New("drift: no report stored")

// Store keeps reports in the single table.
type Store struct {
	Client    StoreAPI
	Table     string
	Retention time.Duration    // zero means DefaultRetention
	Now       func() time.Time // default time.Now
	NewID     func() string    // default correlation.New
}

// Save stores r as a new item that expires after the retention. It returns
// the DynamoDB error (wrapped) when the write fails; a key collision (same
// millisecond and id) fails rather than overwriting a report.
func (s *Store) Save(ctx context.Context, r Report) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("drift: encode report: %w", err)
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
		keep = DefaultRetention
	}
	t := now().UTC()
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			"pk":         &types.AttributeValueMemberS{Value: ReportKey},
			"sk":         &types.AttributeValueMemberS{Value: t.Format(sortLayout) + "#" + newID()},
			"status":     &types.AttributeValueMemberS{Value: r.Status},
			"baseline":   &types.AttributeValueMemberS{Value: r.Baseline},
			"report":     &types.AttributeValueMemberS{Value: string(body)},
			"expires_at": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Add(keep).Unix(), 10)},
		},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil {
		return fmt.Errorf("drift: store report: %w", err)
	}
	return nil
}

// Latest returns the newest stored report. It returns ErrNoReport when there
// is none, the wrapped DynamoDB error when the query fails, and an error
// when the stored item is not a report.
func (s *Store) Latest(ctx context.Context) (Report, error) {
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: ReportKey}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return Report{}, fmt.Errorf("drift: query latest report: %w", err)
	}
	if len(out.Items) == 0 {
		return Report{}, ErrNoReport
	}
	v, ok := out.Items[0]["report"].(*types.AttributeValueMemberS)
	if !ok {
		return Report{}, errors.New("drift: stored report has no report attribute")
	}
	var r Report
	if err := json.Unmarshal([]byte(v.Value), &r); err != nil {
		return Report{}, fmt.Errorf("drift: decode stored report: %w", err)
	}
	return r, nil
}
