// Package warmer sends the warm-up payload (shared/warmup) to other Lambda
// functions, the lambda-warmer practice: each invoked function answers at
// once without touching DynamoDB, which keeps one execution environment of
// it initialised for a while.
//
// What this can and cannot do: Lambda reclaims idle environments after
// minutes (not a documented, fixed time), so an hourly warm-up makes a cold
// start less likely only just after the run; it warms exactly one
// environment per function, so a second concurrent request still starts
// cold. Provisioned concurrency (the ProvisionedConcurrency template
// parameter) is the real cure.
package warmer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/levqor/serverless/shared/warmup"
)

// InvokeAPI is the one Lambda call the warmer uses.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Warmer invokes Functions with the warm-up payload. It uses the
// RequestResponse invocation type so that the answer shows the function
// really ran and whether that environment was cold; a warm-up costs a few
// milliseconds of each function.
type Warmer struct {
	Client    InvokeAPI
	Functions []string      // names, ARNs or alias ARNs (with provisioned concurrency, the alias)
	Timeout   time.Duration // per invocation (default 5s)
}

// ParseFunctions splits the WARM_FUNCTIONS variable: names or ARNs
// separated by commas, blanks dropped, duplicates removed.
func ParseFunctions(s string) []string {
	var out []string
	seen := map[string]bool{}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Warm invokes every function concurrently and returns their outcomes in
// order. It never fails as a whole: an invocation error is that function's
// outcome, since warming is an optimisation, not the monitor's job.
func (w *Warmer) Warm(ctx context.Context) []warmup.Outcome {
	out := make([]warmup.Outcome, len(w.Functions))
	var wg sync.WaitGroup
	for i, fn := range w.Functions {
		wg.Go(func() { out[i] = w.warm(ctx, fn) })
	}
	wg.Wait()
	return out
}

func (w *Warmer) warm(ctx context.Context, fn string) warmup.Outcome {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	o := warmup.Outcome{Function: fn}
	start := time.Now()
	res, err := w.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        []byte(warmup.Payload),
	})
	o.LatencyMs = time.Since(start).Milliseconds()
	switch {
	case err != nil:
		o.Error = err.Error()
	case res.FunctionError != nil:
		o.Error = "function error: " + *res.FunctionError
	default:
		var r warmup.Response
		if err := json.Unmarshal(res.Payload, &r); err != nil || !r.Warm {
			o.Error = fmt.Sprintf("answer is not a warm-up response (%d bytes)", len(res.Payload))
			break
		}
		o.OK, o.ColdStart = true, r.Cold
	}
	return o
}
