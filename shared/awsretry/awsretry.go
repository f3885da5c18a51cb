// Package awsretry classifies AWS SDK errors for shared/retry: what is worth
// another attempt, as the SDK's standard retryer decides it.
package awsretry

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
)

var awsRetryables = awsretry.IsErrorRetryables(awsretry.DefaultRetryables)

// Transient reports whether an AWS SDK error is safe to retry: throttling,
// 5xx, timeouts and broken connections, as the SDK's standard retryer
// classifies them. Validation errors, conditional-check failures and a
// cancelled context are not.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	return awsRetryables.IsErrorRetryable(err) == aws.TrueTernary
}
