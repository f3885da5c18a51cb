// Command hello is the Lambda function the emulator and pool tests run: it
// echoes its event and does what the event asks (sleep, fail, crash, log,
// read a variable), so tests can drive every path with the real
// aws-lambda-go client. FAIL_INIT makes its init fail.
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
	Fail    any    `json:"fail"` // true, or the error's message
	Exit    bool   `json:"exit"`
	Log     string `json:"log"`
	Env     string `json:"env"`
}

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
	switch msg := ev.Fail.(type) {
	case bool:
		if msg {
			return nil, errors.New("asked to fail")
		}
	case string:
		return nil, errors.New(msg)
	}
	if ev.Exit {
		os.Exit(3)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	out := map[string]any{
		"event":      raw,
		"table":      os.Getenv("TABLE_NAME"),
		"request_id": lc.AwsRequestID,
		"pid":        os.Getpid(),
		"deadline_s": time.Until(deadline).Seconds(),
	}
	if ev.Env != "" {
		out["env"] = os.Getenv(ev.Env)
	}
	return out, nil
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		fmt.Println("init failing on purpose")
		os.Exit(2)
	}
	lambda.Start(handle)
}
