// Package fanout runs independent reads side by side: the status page's
// and the uptime report's per-target reads, which one after another would
// make a request wait for every target's DynamoDB round trips in turn.
package fanout

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// Limit is how many calls Each runs at once: no more than the ten idle
// connections per host the AWS SDK's HTTP client keeps, so a warm
// environment reuses its connections rather than opening new ones.
const Limit = 8

// Panic is what Each panics with when a call panicked: the call's value and
// its goroutine's stack, which the caller's own would not show.
type Panic struct {
	Value any
	Stack []byte
}

// String gives the value and the call's stack.
func (p Panic) String() string { return fmt.Sprintf("%v\n\n%s", p.Value, p.Stack) }

// Each calls f(ctx, i) for every i in [0, n), up to Limit at a time, and
// waits for them. It returns the first error a call returns, after which
// the calls still running see their ctx cancelled and those not started
// are skipped; or ctx's error when ctx ended before every call started. A
// call that panics stops the others the same way, and Each then panics in
// the caller's goroutine with a Panic holding the value and the call's
// stack, where the edge's recover answers it as a panic in the handler.
func Each(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		first    error
		panicked any
		skipped  bool
		slots    = make(chan struct{}, Limit)
	)
	stop := func(err error, p any) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil && panicked == nil {
			first, panicked = err, p
			cancel()
		}
	}
	for i := range n {
		slots <- struct{}{}
		if ctx.Err() != nil {
			skipped = true
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			defer func() {
				if p := recover(); p != nil {
					stop(nil, Panic{Value: p, Stack: debug.Stack()})
				}
			}()
			if err := f(ctx, i); err != nil {
				stop(err, nil)
			}
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	if first == nil && skipped {
		return ctx.Err() // only the caller's ctx: ours is cancelled with first set
	}
	return first
}
