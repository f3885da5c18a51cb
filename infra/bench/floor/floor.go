// Package floor is the body of the bench's SDK reference functions
// (infra/bench/sdkfloorenv): the AWS SDK set the
// tickets function links, a DynamoDB and an EventBridge client, and one call
// of each. Calling any operation keeps the SDK's protocol code for every
// linked client, so a floor without calls would understate the SDK's size.
package floor

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Start builds the clients from cfg and serves invocations. The calls run
// only for the event {"call":true}; the bench never sends it.
func Start(cfg aws.Config) {
	db, bus := dynamodb.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (map[string]bool, error) {
		var in struct{ Call bool }
		if err := json.Unmarshal(raw, &in); err != nil || !in.Call {
			return map[string]bool{"called": false}, err
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(os.Getenv("TABLE_NAME")),
			Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "FLOOR#1"}, "sk": &types.AttributeValueMemberS{Value: "FLOOR"}},
		}); err != nil {
			return nil, err
		}
		_, err := bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			Source: aws.String("levqor.floor"), DetailType: aws.String("Floor"), Detail: aws.String("{}"),
		}}})
		return map[string]bool{"called": true}, err
	})
}
