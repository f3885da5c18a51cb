package locallambda

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

type fake struct {
	mu      sync.Mutex
	calls   []string
	reply   string
	errType string
}

func (f *fake) Invoke(_ context.Context, event []byte) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, string(event))
	return []byte(f.reply), f.errType, nil
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func newClient(t *testing.T, fns ...*Function) *lambda.Client {
	t.Helper()
	srv := httptest.NewServer(New(fns))
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:     retry.AddWithMaxAttempts(retry.NewStandard(), 1),
	})
}

func TestInvokeWithSDK(t *testing.T) {
	ok := &fake{reply: `{"warm":true,"function":"HealthFunction","cold_start":false}`}
	failing := &fake{reply: `{"errorMessage":"boom","errorType":"errorString"}`, errType: "errorString"}
	client := newClient(t,
		&Function{Name: "HealthFunction", ARN: "arn:aws:lambda:eu-west-2:000000000000:function:HealthFunction", Alias: "live", Invoker: ok},
		&Function{Name: "Broken", Invoker: failing})
	ctx := context.Background()

	tests := []struct {
		name      string
		function  string
		invType   types.InvocationType
		wantCode  int32
		wantError string
		wantBody  string
	}{
		{"by name", "HealthFunction", "", 200, "", ok.reply},
		{"with $LATEST", "HealthFunction:$LATEST", "", 200, "", ok.reply},
		{"alias", "HealthFunction:live", "", 200, "", ok.reply},
		{"RequestResponse", "HealthFunction:live", types.InvocationTypeRequestResponse, 200, "", ok.reply},
		{"function error", "Broken", "", 200, "Unhandled", failing.reply},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tc.function), InvocationType: tc.invType, Payload: []byte(`{"levqor_warmup":true}`)})
			if err != nil {
				t.Fatal(err)
			}
			if out.StatusCode != tc.wantCode || aws.ToString(out.FunctionError) != tc.wantError || string(out.Payload) != tc.wantBody {
				t.Errorf("got %d %q %s, want %d %q %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload, tc.wantCode, tc.wantError, tc.wantBody)
			}
		})
	}

	// What the template's functions never call is refused, saying so: Event
	// and DryRun invocations, full and partial ARNs.
	for _, tc := range []struct {
		function string
		invType  types.InvocationType
	}{
		{"HealthFunction", types.InvocationTypeEvent},
		{"HealthFunction", types.InvocationTypeDryRun},
		{"arn:aws:lambda:eu-west-2:000000000000:function:HealthFunction", ""},
		{"000000000000:function:HealthFunction:$LATEST", ""},
	} {
		before := ok.count()
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tc.function), InvocationType: tc.invType, Payload: []byte(`{}`)})
		var bad *types.InvalidParameterValueException
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), "not emulated locally") || ok.count() != before {
			t.Errorf("%s %s: %v, want InvalidParameterValueException saying it is not emulated, and no invocation", tc.function, tc.invType, err)
		}
	}

	for _, name := range []string{"Nope", "HealthFunction:staging", "Broken:live"} {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("%s: %v, want ResourceNotFoundException", name, err)
		}
	}
	_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("HealthFunction"), Payload: []byte(`not json`)})
	var bad *types.InvalidRequestContentException
	if !errors.As(err, &bad) {
		t.Errorf("invalid JSON payload: %v, want InvalidRequestContentException", err)
	}
}

func TestGetFunctionConfigurationWithSDK(t *testing.T) {
	client := newClient(t, &Function{
		Name: "HealthFunction", ARN: "arn:aws:lambda:eu-west-2:000000000000:function:HealthFunction",
		Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"}, MemorySize: 256, Timeout: 10,
		Env: map[string]string{"APP_VERSION": "1.0.0"}, Invoker: &fake{},
	})
	out, err := client.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("HealthFunction")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Runtime != types.RuntimeProvidedal2023 || len(out.Architectures) != 1 || out.Architectures[0] != types.ArchitectureArm64 ||
		aws.ToInt32(out.MemorySize) != 256 || aws.ToInt32(out.Timeout) != 10 || out.State != types.StateActive ||
		out.Environment.Variables["APP_VERSION"] != "1.0.0" {
		t.Errorf("configuration: %+v", out)
	}
}
