// Package fanout runs independent reads side by side: the status page's
// and the uptime report's per-target reads, which one after another would
// make a request wait for every target's DynamoDB round trips in turn.
package fanout

import (
	"context"
	"sync"
)

// Limit is how many calls Each runs at once: no more than the ten idle
// connections per host the AWS SDK's HTTP client keeps, so a warm
// environment reuses its connections rather than opening new ones.
const Limit = 8

// Each calls f(ctx, i) for every i in [0, n), up to Limit at a time, and
// waits for them. It returns the first error a call returns, after which
// the calls still running see their ctx cancelled and those not started
// are skipped; or ctx's error when ctx ended before every call started.
func Each(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		skipped bool
		slots   = make(chan struct{}, Limit)
	)
	for i := range n {
		slots <- struct{}{}
		if ctx.Err() != nil {
			skipped = true
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := f(ctx, i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first == nil && skipped {
		return ctx.Err() // only the caller's ctx: ours is cancelled with first set
	}
	return first
}
