package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Invoker runs the target function once; errType is set for a function error.
type Invoker interface {
	Invoke(ctx context.Context, event []byte) (payload []byte, errType string, err error)
}

// Rule is one schedule rule and its target.
type Rule struct {
	Name       string // rule name, e.g. "levqor-local-keepalive-hourly"
	Expression *Expression
	// Input is the rule target's constant Input ("" for none).
	Input string
	// FunctionName and Target are the target function.
	FunctionName string
	Target       Invoker
	// FireAtStart fires the rule once as soon as Run starts.
	FireAtStart bool
	// Retries is how often Lambda retries the asynchronous invocation after
	// a function error (EventInvokeConfig MaximumRetryAttempts, 0 to 2).
	Retries int
}

// Scheduler fires rules at their times.
type Scheduler struct {
	// APIURL and APIID replace the api_url and api_id members of a rule's
	// Input (the template can only name the deployed API; locally the
	// targets must call the local gateway).
	APIURL, APIID string
	// Log receives one line per firing and its result.
	Log func(format string, args ...any)
	// After waits (default time.After); tests shorten the wait.
	After func(time.Duration) <-chan time.Time
	// RetryDelays are the waits before Lambda's asynchronous retries
	// (default 1 minute, then 2 minutes, as Lambda spaces them).
	RetryDelays []time.Duration

	retries sync.WaitGroup
}

// Payload returns what the target receives when rule fires: its Input, a
// JSON object EventBridge sends instead of the event, here with api_url and
// api_id pointed at the local stack. It returns an error when the rule has
// no Input or it is not a JSON object: the "Scheduled Event" envelope
// EventBridge sends without one is not emulated, since every schedule in
// the template has an Input.
func (s *Scheduler) Payload(rule Rule) ([]byte, error) {
	if rule.Input == "" {
		return nil, fmt.Errorf("schedule %s has no Input: the \"Scheduled Event\" envelope EventBridge then sends is not emulated locally (every schedule in the template has an Input); give it one", rule.Name)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rule.Input), &obj); err != nil {
		return nil, fmt.Errorf("schedule %s: Input is not a JSON object: %w", rule.Name, err)
	}
	for key, val := range map[string]string{"api_url": s.APIURL, "api_id": s.APIID} {
		if _, ok := obj[key]; ok && val != "" {
			obj[key], _ = json.Marshal(val)
		}
	}
	return json.Marshal(obj)
}

// Fire invokes rule's target once and logs the outcome. It returns the
// function's response, or an error for a function error or failed invoke.
func (s *Scheduler) Fire(ctx context.Context, rule Rule) ([]byte, error) {
	payload, err := s.Payload(rule)
	if err != nil {
		s.log("[schedule %s] %v", rule.Name, err)
		return nil, err
	}
	s.log("[schedule %s] %s -> %s %s", rule.Name, rule.Expression, rule.FunctionName, payload)
	resp, errType, err := rule.Target.Invoke(ctx, payload)
	switch {
	case err != nil:
		s.log("[schedule %s] invoke failed: %v", rule.Name, err)
		return nil, err
	case errType != "":
		s.log("[schedule %s] %s failed (%s): %s", rule.Name, rule.FunctionName, errType, resp)
		return resp, fmt.Errorf("function error %s", errType)
	}
	s.log("[schedule %s] %s result: %s", rule.Name, rule.FunctionName, resp)
	return resp, nil
}

// fire is Fire plus Lambda's asynchronous retries: EventBridge invokes the
// target asynchronously, so after a function error Lambda tries again, up to
// rule.Retries times, in the background.
func (s *Scheduler) fire(ctx context.Context, rule Rule) {
	if _, err := s.Fire(ctx, rule); err == nil || rule.Retries <= 0 {
		return
	}
	s.retries.Go(func() {
		for attempt := 1; attempt <= rule.Retries; attempt++ {
			delay := s.retryDelay(attempt)
			s.log("[schedule %s] asynchronous retry %d of %d in %s", rule.Name, attempt, rule.Retries, delay)
			select {
			case <-ctx.Done():
				return
			case <-s.after(delay):
			}
			if _, err := s.Fire(ctx, rule); err == nil {
				return
			}
		}
		s.log("[schedule %s] retries exhausted: in AWS the event now goes to the on-failure destination", rule.Name)
	})
}

func (s *Scheduler) retryDelay(attempt int) time.Duration {
	delays := s.RetryDelays
	if len(delays) == 0 {
		delays = []time.Duration{time.Minute, 2 * time.Minute}
	}
	return delays[min(attempt, len(delays))-1]
}

// Run fires every rule at its times until ctx ends; rules with FireAtStart
// fire first, in order, before the timers start.
func (s *Scheduler) Run(ctx context.Context, rules []Rule) {
	defer s.retries.Wait()
	for _, r := range rules {
		if r.FireAtStart && ctx.Err() == nil {
			s.fire(ctx, r)
		}
	}
	var wg sync.WaitGroup
	for _, r := range rules {
		wg.Go(func() {
			for {
				now := time.Now()
				select {
				case <-ctx.Done():
					return
				case <-s.after(r.Expression.Next(now).Sub(now)):
					s.fire(ctx, r)
				}
			}
		})
	}
	wg.Wait()
}

func (s *Scheduler) after(d time.Duration) <-chan time.Time {
	if s.After != nil {
		return s.After(d)
	}
	return time.After(d)
}

func (s *Scheduler) log(format string, args ...any) {
	if s.Log != nil {
		s.Log(format, args...)
	}
}
