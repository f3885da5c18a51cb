// Package retry runs an operation again after transient failures, with
// exponential backoff and full jitter (the AWS Architecture Blog's
// "Exponential Backoff And Jitter"), never more than a fixed number of
// attempts and never past the context's deadline.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Policy says how often and how long to wait. The zero value is usable and
// means Default's numbers.
type Policy struct {
	// Attempts is the total number of calls, the first included (default 3).
	Attempts int
	// Base is the backoff cap before the first retry; it doubles each time (default 50ms).
	Base time.Duration
	// Max bounds any one wait (default 2s).
	Max time.Duration
	// Retryable decides which errors are worth another attempt (default: all
	// except those marked Permanent and context errors).
	Retryable func(error) bool
	// Rand returns a number in [0,1); tests fix it (default math/rand/v2).
	Rand func() float64
	// OnRetry, when set, is told before each wait (for logs and metrics).
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Default is three attempts starting at 50ms, capped at 2s.
func Default() Policy { return Policy{Attempts: 3, Base: 50 * time.Millisecond, Max: 2 * time.Second} }

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying; Do returns err itself.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// Backoff returns the wait before retry number n (1-based): a uniformly
// random duration in [0, min(Max, Base*2^(n-1))).
func (p Policy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	ceil := p.Base
	for i := 1; i < n && ceil < p.Max; i++ {
		ceil *= 2
	}
	if ceil > p.Max {
		ceil = p.Max
	}
	return time.Duration(p.Rand() * float64(ceil))
}

// MaxAttempts is the total number of calls p allows, the first included.
func (p Policy) MaxAttempts() int { return p.withDefaults().Attempts }

func (p Policy) withDefaults() Policy {
	d := Default()
	if p.Attempts <= 0 {
		p.Attempts = d.Attempts
	}
	if p.Base <= 0 {
		p.Base = d.Base
	}
	if p.Max <= 0 {
		p.Max = d.Max
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// Do calls fn until it succeeds, fails with an error not worth retrying, the
// attempts are spent or ctx ends. It returns nil or the last error (unwrapped
// from Permanent), and the number of attempts made. A wait that would end
// after ctx's deadline is not started: the last error is returned at once.
func Do(ctx context.Context, p Policy, fn func(context.Context) error) (attempts int, err error) {
	p = p.withDefaults()
	for attempts = 1; ; attempts++ {
		err = fn(ctx)
		if err == nil {
			return attempts, nil
		}
		var perm permanent
		if errors.As(err, &perm) {
			return attempts, perm.err
		}
		if attempts >= p.Attempts || ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return attempts, err
		}
		if p.Retryable != nil && !p.Retryable(err) {
			return attempts, err
		}
		wait := p.Backoff(attempts)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return attempts, err
		}
		if p.OnRetry != nil {
			p.OnRetry(attempts, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempts, err
		case <-t.C:
		}
	}
}
