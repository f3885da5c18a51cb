package fanout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
)

var errCall = errors.New("call failed")

// TestEach: every call runs, up to Limit at once; the first failure is
// returned and the rest see a cancelled context or never start; a caller's
// cancelled context stops the calls not yet started.
func TestEach(t *testing.T) {
	cases := []struct {
		name      string
		n         int
		fail      int // index whose call fails at once; -1 none
		cancelled bool
		wantErr   error
		wantCalls func(int) bool
	}{
		{"none", 0, -1, false, nil, func(c int) bool { return c == 0 }},
		{"all succeed", 3 * Limit, -1, false, nil, func(c int) bool { return c == 3*Limit }},
		{"first failure wins", 3 * Limit, 2, false, errCall, func(c int) bool { return c <= Limit+1 }},
		{"caller cancelled", 3 * Limit, -1, true, context.Canceled, func(c int) bool { return c == 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelled {
				cancel()
			}
			var calls, running atomic.Int64
			var mu sync.Mutex
			var most int64 // under mu
			err := Each(ctx, tc.n, func(ctx context.Context, i int) error {
				calls.Add(1)
				now := running.Add(1)
				defer running.Add(-1)
				mu.Lock()
				most = max(most, now)
				mu.Unlock()
				if i == tc.fail {
					return errCall
				}
				if tc.fail >= 0 {
					select { // held until the failure cancels it
					case <-ctx.Done():
						return fmt.Errorf("call %d: %w", i, ctx.Err())
					case <-time.After(5 * time.Second):
						return errors.New("not cancelled")
					}
				}
				time.Sleep(time.Millisecond)
				return nil
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("err %v, want %v", err, tc.wantErr)
			}
			if c := int(calls.Load()); !tc.wantCalls(c) {
				t.Errorf("%d calls", c)
			}
			if m := most; m > Limit {
				t.Errorf("%d calls at once, more than Limit %d", m, Limit)
			}
			if tc.name == "all succeed" && most < 2 {
				t.Errorf("calls ran one at a time")
			}
		})
	}
}

// TestEachPanics: a call's panic reaches Each's caller, with its value and
// the call's stack, after the other calls have stopped.
func TestEachPanics(t *testing.T) {
	var stopped atomic.Int64
	defer func() {
		p, ok := recover().(Panic)
		if !ok || p.Value != "boom" || !strings.Contains(string(p.Stack), "fanout.TestEachPanics") {
			t.Errorf("recovered %#v, want a Panic with the call's value and stack", p)
		}
		if stopped.Load() != 1 {
			t.Errorf("%d other calls stopped before the panic reached the caller, want 1", stopped.Load())
		}
	}()
	_ = Each(context.Background(), 2, func(ctx context.Context, i int) error {
		if i == 1 {
			panic("boom")
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
		stopped.Add(1)
		return ctx.Err()
	})
	t.Error("Each returned after a call panicked")
}

// TestReadmeStatesTheLimit: README gives the number of targets read at
// once as the code has it.
func TestReadmeStatesTheLimit(t *testing.T) {
	if want := fmt.Sprintf("up to %d targets are read side by side", Limit); !strings.Contains(testutil.ReadmeSection(t, ""), want) {
		t.Errorf("README.md does not say %q", want)
	}
}
