package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/levqor/serverless/shared/retry"
)

// Status is a target's condition after a check.
type Status string

// The statuses, from best to worst.
const (
	Up       Status = "up"
	Degraded Status = "degraded" // answered correctly but slower than DegradedAfter
	Down     Status = "down"
)

// Rank orders statuses from best (0) to worst; unknown strings rank worst.
func (s Status) Rank() int {
	switch s {
	case Up:
		return 0
	case Degraded:
		return 1
	}
	return 2
}

// Result is the outcome of checking one target, as the keepalive result
// document lists it.
type Result struct {
	Target          string    `json:"target"`
	OK              bool      `json:"ok"`
	Status          Status    `json:"status"`
	StatusCode      int       `json:"status_code"`
	LatencyMs       int64     `json:"latency_ms"`
	Attempts        int       `json:"attempts"`
	Version         string    `json:"version,omitempty"`
	FailedCondition string    `json:"failed_condition,omitempty"`
	Error           string    `json:"error,omitempty"`
	CheckedAt       time.Time `json:"-"`
}

// Overall is the run's status in the SPEC's words: "ok" when every target is
// up, otherwise the worst target status ("degraded" or "down"). No results
// is "down": nothing was shown to be up.
func Overall(results []Result) string {
	if len(results) == 0 {
		return string(Down)
	}
	worst := Up
	for _, r := range results {
		if r.Status.Rank() > worst.Rank() {
			worst = r.Status
		}
	}
	if worst == Up {
		return "ok"
	}
	return string(worst)
}

// Checker runs checks. The zero value is usable.
type Checker struct {
	// Client sends the requests; nil means a client that does not follow
	// redirects (a redirect is an answer to judge, not to chase).
	Client *http.Client
	// Retry is the retry policy (default: 3 attempts, 200ms base, full jitter).
	Retry retry.Policy
	// Now is the clock for CheckedAt (default time.Now).
	Now func() time.Time
	// MaxBody bounds how much of a body is read (default 1 MiB).
	MaxBody int64
	// UserAgent is sent with each request (default "levqor-keepalive").
	UserAgent string
}

var defaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// attemptError is one failed attempt; permanent failures are wrapped in
// retry.Permanent by the caller.
type attemptError struct {
	reason     string
	statusCode int
	condition  string
}

func (e *attemptError) Error() string { return e.reason }

// CheckAll checks every target concurrently and returns results in the
// order of targets. Each check ends by ctx's deadline at the latest.
func (c *Checker) CheckAll(ctx context.Context, targets []Target) []Result {
	out := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { out[i] = c.Check(ctx, t) })
	}
	wg.Wait()
	return out
}

// Check checks one target: up to the policy's attempts, each bounded by the
// target's timeout and by ctx. Transport errors, timeouts and 5xx/429
// answers are retried; an unexpected 4xx or a failed condition is not (it
// would fail again). It never returns an error: failures are a down Result
// whose Error says why.
func (c *Checker) Check(ctx context.Context, t Target) Result {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	p := c.Retry
	if p.Base == 0 {
		p.Base = 200 * time.Millisecond
	}
	res := Result{Target: t.Name, CheckedAt: now().UTC()}
	var last attemptResult
	attempts, err := retry.Do(ctx, p, func(ctx context.Context) error {
		last = c.attempt(ctx, t)
		if last.err == nil {
			return nil
		}
		if last.permanent {
			return retry.Permanent(last.err)
		}
		return last.err
	})
	res.Attempts = attempts
	res.StatusCode = last.statusCode
	res.LatencyMs = last.latency.Milliseconds()
	res.Version = last.version
	if err != nil {
		res.Status = Down
		var ae *attemptError
		if errors.As(err, &ae) {
			res.Error = ae.reason
			res.FailedCondition = ae.condition
		} else {
			res.Error = err.Error()
		}
		return res
	}
	res.OK = true
	res.Status = Up
	if t.DegradedAfter > 0 && last.latency > t.DegradedAfter {
		res.Status = Degraded
	}
	return res
}

type attemptResult struct {
	statusCode int
	latency    time.Duration
	version    string
	err        error
	permanent  bool
}

func (c *Checker) attempt(ctx context.Context, t Target) (r attemptResult) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, t.Method, t.URL, nil)
	if err != nil {
		return attemptResult{err: &attemptError{reason: "invalid request: " + err.Error()}, permanent: true}
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "levqor-keepalive"
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "application/json")
	client := c.Client
	if client == nil {
		client = defaultClient
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		r.latency = time.Since(start)
		r.err = &attemptError{reason: transportReason(ctx, err, r.latency)}
		return r
	}
	defer resp.Body.Close()
	max := c.MaxBody
	if max <= 0 {
		max = 1 << 20
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, max))
	r.latency = time.Since(start)
	r.statusCode = resp.StatusCode
	if readErr != nil {
		r.err = &attemptError{reason: "reading body: " + transportReason(ctx, readErr, r.latency), statusCode: resp.StatusCode}
		return r
	}
	var doc any
	if len(body) > 0 {
		doc, _ = DecodeBody(body) // non-JSON bodies are fine unless a condition needs one
		if m, ok := doc.(map[string]any); ok {
			if v, ok := m["version"].(string); ok && len(v) <= 64 {
				r.version = v
			}
		}
	}
	if !slices.Contains(t.ExpectStatus, resp.StatusCode) {
		r.err = &attemptError{reason: fmt.Sprintf("unexpected status %d", resp.StatusCode), statusCode: resp.StatusCode}
		r.permanent = resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests
		return r
	}
	for _, cond := range t.Conditions {
		if doc == nil || !cond.Eval(doc) {
			r.err = &attemptError{reason: "condition failed: " + cond.String(), statusCode: resp.StatusCode, condition: cond.String()}
			r.permanent = true
			return r
		}
	}
	return r
}

// transportReason describes a failed request without its URL (which may
// carry a query string not meant for logs). A timeout names the time spent,
// whether the attempt's own timeout or the run's deadline cut it short.
func transportReason(ctx context.Context, err error, spent time.Duration) string {
	timeout := spent.Round(time.Millisecond)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timeout after %s", timeout)
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("timeout after %s", timeout)
		}
		return ue.Err.Error()
	}
	return err.Error()
}
