// Command hello is the floor the project's functions are measured against in
// `make bench`: a bare aws-lambda-go function that answers every invocation
// with a fixed JSON object. It is built with exactly the same flags as the
// real functions, so the difference in size and cold init is what the
// project's own code and dependencies cost.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

// Reply is the fixed answer.
type Reply struct {
	Message string `json:"message"`
}

func handle(_ context.Context, _ json.RawMessage) (Reply, error) {
	return Reply{Message: "hello"}, nil
}

func main() { lambda.Start(handle) }
