// Command sdkfloor is the bench's second reference: the bare "hello" plus
// exactly the AWS SDK set the tickets function links (config.LoadDefaultConfig,
// a DynamoDB and an EventBridge client, built once at init as main.go files
// do). The gap hello -> sdkfloor is what the SDK costs; sdkfloor -> tickets
// is what the project's own code costs.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// clients holds the SDK clients so the linker keeps them.
type clients struct {
	db  *dynamodb.Client
	bus *eventbridge.Client
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkfloor:", err)
		os.Exit(1)
	}
	c := clients{db: dynamodb.NewFromConfig(cfg), bus: eventbridge.NewFromConfig(cfg)}
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (map[string]bool, error) {
		return map[string]bool{"db": c.db != nil, "bus": c.bus != nil}, nil
	})
}
