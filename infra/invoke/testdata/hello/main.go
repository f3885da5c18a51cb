// Command hello is a minimal Lambda function the emulator tests run: it
// echoes its event and fails on {"fail":true}.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, ev map[string]any) (map[string]any, error) {
		if ev["fail"] == true {
			return nil, errors.New("asked to fail")
		}
		return map[string]any{"event": ev, "table": os.Getenv("TABLE_NAME")}, nil
	})
}
