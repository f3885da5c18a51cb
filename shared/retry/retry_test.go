package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

var errBoom = errors.New("boom")

// fast never waits, so the tests do not sleep.
func fast(p Policy) Policy {
	p.Rand = func() float64 { return 0 }
	return p
}

func TestDo(t *testing.T) {
	cases := []struct {
		name     string
		policy   Policy
		results  []error // what fn returns on each call; the last repeats
		attempts int
		err      error
		retries  int // OnRetry calls
	}{
		{"first try", Policy{}, []error{nil}, 1, nil, 0},
		{"second try", Policy{}, []error{errBoom, nil}, 2, nil, 1},
		{"default three attempts", Policy{}, []error{errBoom}, 3, errBoom, 2},
		{"five attempts", Policy{Attempts: 5}, []error{errBoom}, 5, errBoom, 4},
		{"one attempt", Policy{Attempts: 1}, []error{errBoom}, 1, errBoom, 0},
		{"not retryable", Policy{Retryable: func(error) bool { return false }}, []error{errBoom}, 1, errBoom, 0},
		{"retryable chooses", Policy{Retryable: func(e error) bool { return e == errBoom }}, []error{errBoom, context.DeadlineExceeded}, 2, context.DeadlineExceeded, 1},
		{"permanent", Policy{}, []error{Permanent(errBoom)}, 1, errBoom, 0},
		{"permanent wrapped", Policy{}, []error{fmt.Errorf("op: %w", Permanent(errBoom))}, 1, errBoom, 0},
		{"permanent after retries", Policy{Attempts: 5}, []error{errBoom, Permanent(errBoom)}, 2, errBoom, 1},
		{"canceled not retried", Policy{}, []error{fmt.Errorf("call: %w", context.Canceled)}, 1, context.Canceled, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls, retries := 0, 0
			p := fast(tc.policy)
			p.OnRetry = func(attempt int, _ time.Duration, err error) {
				retries++
				if attempt != retries || err == nil {
					t.Errorf("OnRetry(%d, %v) on retry %d", attempt, err, retries)
				}
			}
			n, err := Do(context.Background(), p, func(context.Context) error {
				r := tc.results[min(calls, len(tc.results)-1)]
				calls++
				return r
			})
			if n != tc.attempts || calls != tc.attempts {
				t.Errorf("attempts %d (fn called %d), want %d", n, calls, tc.attempts)
			}
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("err %v, want %v", err, tc.err)
			}
			var perm permanent
			if errors.As(err, &perm) {
				t.Errorf("Permanent wrapper leaked to the caller: %v", err)
			}
			if retries != tc.retries {
				t.Errorf("OnRetry called %d times, want %d", retries, tc.retries)
			}
		})
	}
}

// TestDoDeadline: a wait that would outlive the context is not started. The
// wait here would be two hours; were it started, the test would hang.
func TestDoDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	p := Policy{Attempts: 5, Base: 2 * time.Hour, Max: 2 * time.Hour, Rand: func() float64 { return 0.99 }}
	p.OnRetry = func(int, time.Duration, error) { t.Error("a wait past the deadline was announced") }
	calls := 0
	n, err := Do(ctx, p, func(context.Context) error { calls++; return errBoom })
	if n != 1 || calls != 1 || !errors.Is(err, errBoom) {
		t.Errorf("Do = %d, %v after %d calls; want 1, boom", n, err, calls)
	}
}

// TestDoCancelDuringWait: cancelling while waiting returns the last error at once.
func TestDoCancelDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Attempts: 5, Base: time.Hour, Max: time.Hour, Rand: func() float64 { return 0.5 }}
	p.OnRetry = func(int, time.Duration, error) { cancel() }
	n, err := Do(ctx, p, func(context.Context) error { return errBoom })
	if n != 1 || !errors.Is(err, errBoom) {
		t.Errorf("Do = %d, %v; want 1, boom", n, err)
	}
}

// TestDoCancelledContext: a context already done stops after one call.
func TestDoCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := Do(ctx, fast(Policy{}), func(context.Context) error { return errBoom })
	if n != 1 || !errors.Is(err, errBoom) {
		t.Errorf("Do = %d, %v", n, err)
	}
}

func TestBackoff(t *testing.T) {
	const ms = time.Millisecond
	top := func() float64 { return 1 - 1e-9 }
	cases := []struct {
		name string
		p    Policy
		n    int
		want time.Duration // with Rand just below 1, to the millisecond
	}{
		{"first", Policy{Base: 100 * ms, Max: time.Second, Rand: top}, 1, 100 * ms},
		{"doubles", Policy{Base: 100 * ms, Max: time.Second, Rand: top}, 2, 200 * ms},
		{"doubles again", Policy{Base: 100 * ms, Max: time.Second, Rand: top}, 4, 800 * ms},
		{"capped", Policy{Base: 100 * ms, Max: time.Second, Rand: top}, 5, time.Second},
		{"capped far out, no overflow", Policy{Base: 100 * ms, Max: time.Second, Rand: top}, 200, time.Second},
		{"base above max", Policy{Base: 5 * time.Second, Max: time.Second, Rand: top}, 1, time.Second},
		{"defaults", Policy{Rand: top}, 1, 50 * ms},
		{"default cap", Policy{Rand: top}, 30, 2 * time.Second},
		{"rand zero", Policy{Base: 100 * ms, Max: time.Second, Rand: func() float64 { return 0 }}, 3, 0},
		{"rand half", Policy{Base: 100 * ms, Max: time.Second, Rand: func() float64 { return 0.5 }}, 3, 200 * ms},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.Backoff(tc.n).Round(ms)
			if got != tc.want {
				t.Errorf("Backoff(%d) = %v, want %v", tc.n, got, tc.want)
			}
		})
	}
	// Real jitter stays inside [0, ceiling).
	p := Policy{Base: 10 * ms, Max: 80 * ms}
	for n := 1; n < 10; n++ {
		for range 100 {
			if w := p.Backoff(n); w < 0 || w >= 80*ms {
				t.Fatalf("Backoff(%d) = %v out of bounds", n, w)
			}
		}
	}
}

func TestPermanentNil(t *testing.T) {
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) should be nil")
	}
	if Permanent(errBoom).Error() != "boom" {
		t.Error("Permanent changes the message")
	}
}
