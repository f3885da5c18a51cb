// Command sdkfloordrift is the SDK floor of the drift scan: a hello that
// builds the five service clients driftscan needs (DynamoDB, EventBridge,
// Lambda, API Gateway v2, CloudFormation) the way driftscan builds them
// (shared/awsconfig) and can make one call on each. The drift scan must use
// the real SDK clients (issue 5), and each client's package init (its
// generated endpoint and schemas tables) adds to the cold start, so this binary shows how much of
// driftscan's cold init is the SDK's before any of its own.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/levqor/serverless/shared/awsconfig"
)

func main() {
	cfg, err := awsconfig.Load(os.Getenv, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkfloordrift: AWS configuration:", err)
		os.Exit(1)
	}
	db, bus := dynamodb.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	fns, api, cfn := lambdasvc.NewFromConfig(cfg), apigatewayv2.NewFromConfig(cfg), cloudformation.NewFromConfig(cfg)
	// The calls run only for the event {"call":true}; the bench never sends
	// it. Calling each operation keeps its protocol code in the binary.
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (map[string]bool, error) {
		var in struct{ Call bool }
		if err := json.Unmarshal(raw, &in); err != nil || !in.Call {
			return map[string]bool{"called": false}, err
		}
		name := aws.String(os.Getenv("TABLE_NAME"))
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name}); err != nil {
			return nil, err
		}
		if _, err := bus.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: name}); err != nil {
			return nil, err
		}
		if _, err := fns.GetFunctionConfiguration(ctx, &lambdasvc.GetFunctionConfigurationInput{FunctionName: name}); err != nil {
			return nil, err
		}
		if _, err := api.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: name}); err != nil {
			return nil, err
		}
		_, err := cfn.DetectStackDrift(ctx, &cloudformation.DetectStackDriftInput{StackName: name})
		return map[string]bool{"called": true}, err
	})
}
