package awsretry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

var errBoom = errors.New("boom")

func httpErr(status int) error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      errBoom,
	}
}

func TestTransient(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"canceled", context.Canceled, false},
		{"wrapped canceled", fmt.Errorf("op: %w", context.Canceled), false},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}, true},
		{"provisioned throughput", &types.ProvisionedThroughputExceededException{}, true},
		{"conditional check", &types.ConditionalCheckFailedException{}, false},
		{"validation", &smithy.GenericAPIError{Code: "ValidationException"}, false},
		{"503", httpErr(503), true},
		{"500", httpErr(500), true},
		{"400", httpErr(400), false},
		{"plain", errBoom, false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Transient(tc.err); got != tc.want {
				t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
