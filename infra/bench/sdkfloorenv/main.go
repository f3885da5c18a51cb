// Command sdkfloorenv is the SDK floor the functions are measured against:
// hello plus exactly the SDK set the tickets function links (a DynamoDB and
// an EventBridge client built at init) and one call of each, configured the
// way the functions are, with shared/awsconfig (region, static credentials
// and AWS_ENDPOINT_URL_* from the variables Lambda sets). Calling any
// operation keeps the SDK's protocol code for every linked client, so a
// floor without calls would understate the SDK's size.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/levqor/serverless/shared/awsconfig"
)

func main() {
	cfg, err := awsconfig.Load(os.Getenv, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkfloorenv: AWS configuration:", err)
		os.Exit(1)
	}
	db, bus := dynamodb.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	// The calls run only for the event {"call":true}; the bench never sends it.
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
