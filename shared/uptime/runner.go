package uptime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/fanout"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/retry"
	"github.com/levqor/serverless/shared/warmup"
)

// EventSource is the EventBridge source of the monitor's alerts.
const EventSource = "levqor.monitor"

// Warmer warms other functions while the checks run (shared/warmer).
type Warmer interface {
	Warm(ctx context.Context) []warmup.Outcome
}

// Checker checks every target concurrently within ctx (shared/probe).
type Checker interface {
	CheckAll(ctx context.Context, targets []probe.Target) []probe.Result
}

// Report is the keepalive result document: the SPEC's fields (status,
// checked_at, results) plus the run id, the alerts the run raised, uptime
// per target and the warm-up outcomes.
type Report struct {
	Status    string           `json:"status"`
	CheckedAt time.Time        `json:"checked_at"`
	RunID     string           `json:"run_id"`
	Duplicate bool             `json:"duplicate,omitempty"`
	Results   []probe.Result   `json:"results"`
	Alerts    []Alert          `json:"alerts"`
	Uptime    []Summary        `json:"uptime"`
	Warmed    []warmup.Outcome `json:"warmed,omitempty"`
}

// Runner runs the keepalive: checks, state, alerts, metrics, history,
// uptime. Publisher, Notifier, Metrics, Warmer and Logger may be nil.
type Runner struct {
	Checker    Checker
	Store      Store
	Publisher  eventbus.Publisher
	Notifier   monitor.Notifier
	Metrics    *metrics.Writer
	Warmer     Warmer
	Logger     *slog.Logger // when ctx carries no logger (logging.With)
	Thresholds Thresholds
	SLAPercent float64
	Service    string           // metric dimension (default "levqor")
	MaxGap     time.Duration    // see Summarize
	Now        func() time.Time // default time.Now
	// CheckShare is the part of the time left before ctx's deadline the
	// checks may use (default 0.7); the rest is kept for storage and
	// publishing so the run ends inside the function's timeout.
	CheckShare float64
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logger(ctx context.Context) *slog.Logger {
	if l, ok := logging.Carried(ctx); ok {
		return l // the invocation's, with its request and correlation ids
	}
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// Run checks targets once as run runID and records the outcome. runID
// identifies the delivery (the EventBridge event id, or the invocation's
// request id): a second Run with the same id changes no state and raises no
// new alert, though alerts its first delivery failed to publish are
// published again. It returns the report and, when the run could not be
// recorded or an alert could not be published, an error (a
// *problem.Error Unavailable for storage) so the invocation is retried.
func (r *Runner) Run(ctx context.Context, runID string, targets []probe.Target) (Report, error) {
	at := r.now()
	rep := Report{CheckedAt: at, RunID: runID, Alerts: []Alert{}, Uptime: []Summary{}}

	var warmed []warmup.Outcome
	var wg sync.WaitGroup
	if r.Warmer != nil {
		wg.Go(func() { warmed = r.Warmer.Warm(ctx) })
	}
	checkCtx, cancel := r.checkContext(ctx)
	rep.Results = r.Checker.CheckAll(checkCtx, targets)
	cancel()
	rep.Status = probe.Overall(rep.Results)
	for _, res := range rep.Results {
		r.emit(ctx, res)
	}

	var errs []error
	for _, res := range rep.Results {
		pending, rev, dup, err := r.record(ctx, res, runID, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Duplicate = rep.Duplicate || dup
		mine := r.owned(pending, runID, at)
		if len(mine) == 0 {
			continue
		}
		if err := r.publish(ctx, mine); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Alerts = append(rep.Alerts, mine...)
		if err := r.clear(ctx, res.Target, rev, pending, mine); err != nil {
			errs = append(errs, err)
		}
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	if sums, err := r.Uptime(ctx, names); err != nil {
		errs = append(errs, err)
	} else {
		rep.Uptime = sums
	}
	wg.Wait()
	rep.Warmed = warmed
	return rep, errors.Join(errs...)
}

// checkContext bounds the checks to CheckShare of the time left, so a
// hanging target cannot use up the time storage and publishing need.
func (r *Runner) checkContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	share := r.CheckShare
	if share <= 0 || share > 1 {
		share = 0.7
	}
	left := time.Until(dl)
	return context.WithDeadline(ctx, time.Now().Add(time.Duration(float64(left)*share)))
}

// record applies one result to its target's state, retrying on a
// concurrent update, and keeps the run record. It returns the alerts to
// publish, the state revision they were read at, and whether runID had
// already been applied (a redelivery).
func (r *Runner) record(ctx context.Context, res probe.Result, runID string, at time.Time) ([]Alert, int64, bool, error) {
	var (
		pending []Alert
		rev     int64
		dup     bool
		changed *Alert
		before  State
	)
	// Overlapping runs (a manual run meeting the schedule, a redelivery)
	// take turns: each conflict means another run's result is in, so this
	// one reads again and applies its own on top, as if they had run one
	// after the other. The jittered waits spread the turns out.
	_, err := retry.Do(ctx, conflictRetry, func(ctx context.Context) error {
		prev, err := r.Store.Load(ctx, res.Target)
		if err != nil {
			return retry.Permanent(err)
		}
		if prev.Applied(runID) {
			pending, rev, dup, before = prev.PendingAlerts, prev.Revision, true, prev
			return nil
		}
		next, alert := Advance(prev, res, r.Thresholds, runID, at)
		if err := r.Store.Save(ctx, prev, next); err != nil {
			if errors.Is(err, ErrConflict) {
				return err
			}
			return retry.Permanent(err)
		}
		if alert != nil {
			r.logger(ctx).Info("target changed", "target", res.Target, "alert", alert.Type,
				"status", string(alert.Status), "previous", string(alert.Previous), "run_id", runID)
		}
		pending, rev, changed, before = next.PendingAlerts, next.Revision, alert, prev
		return nil
	})
	if errors.Is(err, ErrConflict) {
		return nil, 0, false, fmt.Errorf("uptime: state of %s kept changing under run %s: %w", res.Target, runID, err)
	}
	if err != nil {
		return pending, rev, dup, err
	}
	if dup {
		// A redelivery of the latest run: its first delivery may have
		// failed after saving the state, so its history writes (each one
		// idempotent) are made again from what the state kept.
		if before.LastRunID == runID {
			err = r.replay(ctx, before)
		}
		return pending, rev, true, err
	}
	if err := r.history(ctx, res.Target, changed, before, at); err != nil {
		return pending, rev, false, err
	}
	run := RunFrom(res, runID, at)
	if err := r.Store.PutRun(ctx, run); err != nil {
		return pending, rev, false, err
	}
	return pending, rev, false, r.Store.AddToDay(ctx, run)
}

// history keeps the incident a state change opens or closes: down opens
// one from the first failed run, a recovery from down closes it.
func (r *Runner) history(ctx context.Context, target string, a *Alert, prev State, at time.Time) error {
	switch {
	case a == nil:
		return nil
	case a.Status == probe.Down:
		return r.Store.OpenIncident(ctx, target, a.Since)
	case prev.Status == probe.Down:
		// While down, Since is the incident's start (a state saved before
		// IncidentStart existed has only that).
		return r.Store.CloseIncident(ctx, target, prev.Since, at)
	}
	return nil
}

// replay makes the history writes of the run st records last again: its
// incident's open or close, its run record (under the same key: the time
// the state kept) and its day's count. Each is a no-op when already made.
func (r *Runner) replay(ctx context.Context, st State) error {
	if !st.IncidentStart.IsZero() {
		var err error
		switch {
		case st.Status == probe.Down:
			err = r.Store.OpenIncident(ctx, st.Target, st.IncidentStart)
		case st.Since.Equal(st.LastCheckedAt): // this run changed the status
			err = r.Store.CloseIncident(ctx, st.Target, st.IncidentStart, st.LastCheckedAt)
		}
		if err != nil {
			return err
		}
	}
	run := Run{Target: st.Target, CheckedAt: st.LastCheckedAt, Status: st.LastStatus, LatencyMs: st.LastLatencyMs, RunID: st.LastRunID}
	if err := r.Store.PutRun(ctx, run); err != nil {
		return err
	}
	return r.Store.AddToDay(ctx, run)
}

// pendingLease is how long an alert stays its own run's to publish. A run
// lasts at most the function's timeout (60 s), so an alert still pending
// after this belongs to a run whose publishing failed and that no retry
// will finish: the next run publishes it.
const pendingLease = 2 * time.Minute

// owned picks the pending alerts this run publishes: its own (the same run
// id: a retry after a bus outage), and any whose run is over. Another run's
// fresh alert is left to that run, so overlapping runs publish each alert
// once, as runs one after the other do.
func (r *Runner) owned(pending []Alert, runID string, at time.Time) []Alert {
	var mine []Alert
	for _, a := range pending {
		if a.RunID == runID || at.Sub(a.At) > pendingLease {
			mine = append(mine, a)
		}
	}
	return mine
}

// clear removes the published alerts from target's pending ones, reading
// the state again when another run moved it on since rev.
func (r *Runner) clear(ctx context.Context, target string, rev int64, pending, published []Alert) error {
	_, err := retry.Do(ctx, conflictRetry, func(ctx context.Context) error {
		if err := r.Store.ClearPending(ctx, target, rev, without(pending, published)); !errors.Is(err, ErrConflict) {
			if err != nil {
				return retry.Permanent(err)
			}
			return nil
		}
		st, err := r.Store.Load(ctx, target)
		if err != nil {
			return retry.Permanent(err)
		}
		rest := without(st.PendingAlerts, published)
		if len(rest) == len(st.PendingAlerts) {
			return nil // already cleared
		}
		pending, rev = st.PendingAlerts, st.Revision
		return ErrConflict
	})
	return err
}

// without returns alerts less those in published (the same run, type and
// target).
func without(alerts, published []Alert) []Alert {
	var rest []Alert
	for _, a := range alerts {
		if !slices.ContainsFunc(published, func(p Alert) bool { return p.RunID == a.RunID && p.Type == a.Type && p.Target == a.Target }) {
			rest = append(rest, a)
		}
	}
	return rest
}

// conflictRetry bounds how often a run retries a state update another run
// got to first: enough turns for a few dozen overlapping runs.
var conflictRetry = retry.Policy{Attempts: 40, Base: 5 * time.Millisecond, Max: 250 * time.Millisecond,
	Retryable: func(err error) bool { return errors.Is(err, ErrConflict) }}

// publish sends alerts to the bus (retried on transient failures) and to
// the error monitor. The bus is the record: its failure is returned so the
// alerts stay pending. A notifier failure is only logged.
func (r *Runner) publish(ctx context.Context, alerts []Alert) error {
	if r.Publisher != nil {
		evs := make([]eventbus.Event, len(alerts))
		for i, a := range alerts {
			evs[i] = eventbus.Event{Source: EventSource, DetailType: a.Type, Detail: a, Time: a.At}
		}
		// The bus client retries under the one policy (shared/awsconfig):
		// another loop here would multiply its attempts.
		if err := r.Publisher.Publish(ctx, evs...); err != nil {
			return problem.Wrap(problem.Unavailable, err, "the event bus is unavailable; alerts stay pending")
		}
	}
	if r.Notifier == nil {
		return nil
	}
	for _, a := range alerts {
		if err := r.Notifier.Notify(ctx, incident(a)); err != nil {
			r.logger(ctx).Warn("notifier failed", "error", err.Error(), "target", a.Target, "alert", a.Type)
		}
	}
	return nil
}

func incident(a Alert) monitor.Incident {
	sev := monitor.Info
	switch a.Type {
	case TargetDown:
		sev = monitor.Critical
	case TargetDegraded:
		sev = monitor.Warning
	}
	return monitor.Incident{
		Category: monitor.Availability, Severity: sev,
		Message: fmt.Sprintf("%s: %s is %s (was %s)", a.Type, a.Target, a.Status, a.Previous),
		Error:   a.Reason,
		Fields: map[string]string{
			"target": a.Target, "status": string(a.Status), "previous": string(a.Previous),
			"since": a.Since.Format(time.RFC3339), "run_id": a.RunID,
		},
		Time: a.At,
	}
}

// emit writes one target's metrics: LatencyMs, Success, Failure and
// Degraded in Levqor/Keepalive by Service and Target.
func (r *Runner) emit(ctx context.Context, res probe.Result) {
	if r.Metrics == nil {
		return
	}
	svc := r.Service
	if svc == "" {
		svc = "levqor"
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	err := r.Metrics.Emit(metrics.NamespaceKeepalive,
		[]metrics.Dimension{{Name: "Service", Value: svc}, {Name: "Target", Value: res.Target}},
		metrics.Metric{Name: "LatencyMs", Unit: metrics.Milliseconds, Value: float64(res.LatencyMs)},
		metrics.Metric{Name: "Success", Unit: metrics.Count, Value: b(res.Status != probe.Down)},
		metrics.Metric{Name: "Failure", Unit: metrics.Count, Value: b(res.Status == probe.Down)},
		metrics.Metric{Name: "Degraded", Unit: metrics.Count, Value: b(res.Status == probe.Degraded)})
	if err != nil {
		r.logger(ctx).Warn("metrics not written", "error", err.Error())
	}
}

// Uptime summarises each named target over the reported windows from its
// stored runs, the targets read side by side (fanout.Each: the Store must
// be safe for concurrent use, as the DynamoDB one is). It returns the
// first error the store returns, and no summaries then.
func (r *Runner) Uptime(ctx context.Context, targets []string) ([]Summary, error) {
	now := r.now()
	gap := r.MaxGap
	if gap <= 0 {
		gap = DefaultMaxGap
	}
	from := now.Add(-Windows[len(Windows)-1].Duration - gap)
	out := make([]Summary, len(targets))
	err := fanout.Each(ctx, len(targets), func(ctx context.Context, i int) error {
		runs, err := r.Store.Runs(ctx, targets[i], from, now)
		if err != nil {
			return err
		}
		out[i] = Summarize(targets[i], runs, now, r.SLAPercent, gap)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
