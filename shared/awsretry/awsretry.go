// Package awsretry classifies AWS SDK errors for shared/retry: what is worth
// another attempt, as the SDK's standard retryer decides it.
package awsretry

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/levqor/serverless/shared/retry"
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

// Retryer returns the SDK retryer for p: the SDK's standard retryer (its
// classification of what is retryable, its retry quota) with p's attempts
// and p's full-jitter backoff. Every AWS client gets its retries from here
// (shared/awsconfig), and nothing wraps an SDK call in another retry loop,
// so attempts never multiply.
func Retryer(p retry.Policy) aws.Retryer {
	return awsretry.NewStandard(func(o *awsretry.StandardOptions) {
		o.MaxAttempts = p.MaxAttempts()
		o.Backoff = backoff{p}
	})
}

type backoff struct{ p retry.Policy }

// BackoffDelay is p's wait before retry number attempt; it never fails.
func (b backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	return b.p.Backoff(attempt), nil
}
