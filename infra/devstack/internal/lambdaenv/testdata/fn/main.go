// Command fn is a test function for package lambdaenv: it behaves as its
// event asks (echo, sleep, fail, crash, log) so tests can drive every path of
// the Runtime API with the real aws-lambda-go client.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	SleepMS int    `json:"sleep_ms"`
	Fail    string `json:"fail"`
	Exit    bool   `json:"exit"`
	Log     string `json:"log"`
	Env     string `json:"env"`
}

var started = time.Now()

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	_ = json.Unmarshal(raw, &ev)
	if ev.Log != "" {
		fmt.Println(ev.Log)
		fmt.Fprintln(os.Stderr, "stderr:"+ev.Log)
	}
	if ev.SleepMS > 0 {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	}
	if ev.Fail != "" {
		return nil, errors.New(ev.Fail)
	}
	if ev.Exit {
		os.Exit(3)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	return map[string]any{
		"echo":       raw,
		"request_id": lc.AwsRequestID,
		"arn":        lc.InvokedFunctionArn,
		"env":        os.Getenv(ev.Env),
		"pid":        os.Getpid(),
		"deadline_s": time.Until(deadline).Seconds(),
		"started":    started.UnixNano(),
	}, nil
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		fmt.Println("init failing on purpose")
		os.Exit(2)
	}
	lambda.Start(handle)
}
