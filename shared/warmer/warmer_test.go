package warmer

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/levqor/serverless/shared/warmup"
)

// fakeLambda answers like the project's functions would: the payload must
// be the warm-up event and the invocation synchronous.
type fakeLambda struct {
	mu      sync.Mutex
	invoked []string
	answers map[string]*lambda.InvokeOutput
	errs    map[string]error
}

func (f *fakeLambda) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.mu.Lock()
	f.invoked = append(f.invoked, *in.FunctionName)
	f.mu.Unlock()
	if !warmup.Is(in.Payload) || in.InvocationType != types.InvocationTypeRequestResponse {
		return nil, errors.New("not a warm-up invocation")
	}
	if err := f.errs[*in.FunctionName]; err != nil {
		return nil, err
	}
	return f.answers[*in.FunctionName], nil
}

func TestWarm(t *testing.T) {
	f := &fakeLambda{
		answers: map[string]*lambda.InvokeOutput{
			"health":  {StatusCode: 200, Payload: []byte(`{"warm":true,"function":"health","cold_start":true}`)},
			"tickets": {StatusCode: 200, Payload: []byte(`{"warm":true,"function":"tickets","cold_start":false}`)},
			"broken":  {StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{}`)},
			"ignores": {StatusCode: 200, Payload: []byte(`{"statusCode":400}`)},
		},
		errs: map[string]error{"missing": errors.New("ResourceNotFoundException")},
	}
	w := &Warmer{Client: f, Functions: []string{"health", "tickets", "broken", "ignores", "missing"}}
	got := w.Warm(context.Background())
	want := []struct {
		ok, cold bool
		hasErr   bool
	}{{true, true, false}, {true, false, false}, {false, false, true}, {false, false, true}, {false, false, true}}
	for i, o := range got {
		if o.Function != w.Functions[i] || o.OK != want[i].ok || o.ColdStart != want[i].cold || (o.Error != "") != want[i].hasErr {
			t.Errorf("outcome %d = %+v, want %+v", i, o, want[i])
		}
	}
	if len(f.invoked) != 5 {
		t.Fatalf("invoked %v", f.invoked)
	}
}

func TestParseFunctions(t *testing.T) {
	tests := map[string][]string{
		"":                       nil,
		" , ,":                   nil,
		"a":                      {"a"},
		" a, b ,a,,arn:aws:x:1 ": {"a", "b", "arn:aws:x:1"},
	}
	for in, want := range tests {
		if got := ParseFunctions(in); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseFunctions(%q) = %v, want %v", in, got, want)
		}
	}
}
