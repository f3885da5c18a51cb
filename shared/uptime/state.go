// Package uptime keeps each keepalive target's state and history and turns
// check results into alerts and uptime figures: the stateful half of the
// monitor (shared/probe is the checking half).
//
// Alert rules (defaults in DefaultThresholds, set by KEEPALIVE_DOWN_AFTER,
// KEEPALIVE_RECOVER_AFTER and KEEPALIVE_DEGRADED_AFTER):
//   - TargetDown when a target not already down fails DownAfter runs in a row
//     (default 2: each run already makes up to 3 attempts, so one failed run
//     can still be the monitor's own network; two in a row is an outage).
//   - TargetDegraded when an up target is degraded (slow but correct)
//     DegradedAfter runs in a row (default 2).
//   - TargetRecovered when a down target succeeds RecoverAfter runs in a row
//     (default 1: the run's own retries already filter flukes, and a late
//     all-clear costs an hour on an hourly schedule), or a degraded one is
//     up RecoverAfter runs in a row.
//
// A target's first runs establish its state without alerting, except that a
// target down from the start alerts after DownAfter failures. A run that
// finds the state unchanged alerts nothing.
//
// Storage (the tickets table; the keepalive role may only touch TARGET#*):
//
//	pk TARGET#<name>  sk STATE                  the State, written by a conditional UpdateItem
//	pk TARGET#<name>  sk RUN#<checked_at, UTC>  one Run per run, expires_at = checked_at + 90 days
//
// Delivery: every run has an id (the EventBridge event id, else the Lambda
// request id, which asynchronous retries keep). The state update succeeds
// only over the revision it read and only if that id is not among the last
// MaxRecentRuns applied, so a redelivered run changes the state once and
// concurrent runs never lose each other's counts. Alerts are kept in the
// state as pending until the bus has accepted them: a bus outage delays an
// alert (the run fails, Lambda retries it, the retry publishes it) rather
// than losing it; delivery is at least once.
package uptime

import (
	"slices"
	"time"

	"github.com/levqor/serverless/shared/probe"
)

// Unknown is the status of a target no run has established yet.
const Unknown probe.Status = "unknown"

// Alert types, published as EventBridge detail-types.
const (
	TargetDown      = "TargetDown"
	TargetDegraded  = "TargetDegraded"
	TargetRecovered = "TargetRecovered"
)

// MaxRecentRuns is how many applied run ids a state remembers. Lambda
// retries an asynchronous invocation within minutes (up to 6 hours when
// throttled), so a handful of hourly runs covers the usual case.
const MaxRecentRuns = 8

// Applied reports whether runID has already been applied to s.
func (s State) Applied(runID string) bool {
	return s.LastRunID == runID || slices.Contains(s.RecentRunIDs, runID)
}

// Thresholds say how many consecutive runs confirm a change.
type Thresholds struct {
	DownAfter     int
	RecoverAfter  int
	DegradedAfter int
}

// DefaultThresholds are the documented defaults: down after 2 failed runs,
// recovered after 1 good run, degraded after 2 slow runs.
func DefaultThresholds() Thresholds {
	return Thresholds{DownAfter: 2, RecoverAfter: 1, DegradedAfter: 2}
}

func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	if t.DownAfter < 1 {
		t.DownAfter = d.DownAfter
	}
	if t.RecoverAfter < 1 {
		t.RecoverAfter = d.RecoverAfter
	}
	if t.DegradedAfter < 1 {
		t.DegradedAfter = d.DegradedAfter
	}
	return t
}

// State is one target's stored state (pk TARGET#<name>, sk STATE).
type State struct {
	Target string `json:"target"`
	// Status is the confirmed status: unknown, up, degraded or down.
	Status probe.Status `json:"status"`
	// Since is when Status began (for down: the first failed run).
	Since                time.Time    `json:"since"`
	ConsecutiveFailures  int          `json:"consecutive_failures"`
	ConsecutiveSuccesses int          `json:"consecutive_successes"`
	ConsecutiveDegraded  int          `json:"consecutive_degraded"`
	ConsecutiveUp        int          `json:"consecutive_up"`
	FailingSince         time.Time    `json:"failing_since,omitzero"`
	LastStatus           probe.Status `json:"last_status"`
	LastLatencyMs        int64        `json:"last_latency_ms"`
	LastCheckedAt        time.Time    `json:"last_checked_at"`
	LastRunID            string       `json:"last_run_id"`
	// IncidentStart is when the latest incident began (the down alert's
	// Since), kept after recovery: a retried run replays its incident
	// write from it.
	IncidentStart time.Time `json:"incident_start,omitzero"`
	// RecentRunIDs are the last MaxRecentRuns run ids applied, newest last:
	// a redelivery arriving after a later run is still recognised.
	RecentRunIDs []string `json:"recent_run_ids,omitempty"`
	// Revision counts updates; the store writes only over the revision it read.
	Revision int64 `json:"revision"`
	// PendingAlerts were decided but not yet confirmed published: they are
	// published again by the redelivery of the run or the next run, so an
	// event bus outage delays an alert instead of losing it.
	PendingAlerts []Alert `json:"pending_alerts,omitempty"`
}

// Alert is one change worth telling about. It carries no response bodies.
type Alert struct {
	Type                string       `json:"type"`
	Target              string       `json:"target"`
	Status              probe.Status `json:"status"`
	Previous            probe.Status `json:"previous"`
	Since               time.Time    `json:"since"`
	At                  time.Time    `json:"at"`
	ConsecutiveFailures int          `json:"consecutive_failures,omitempty"`
	Reason              string       `json:"reason,omitempty"`
	LatencyMs           int64        `json:"latency_ms"`
	RunID               string       `json:"run_id"`
}

// Advance applies one run's result to prev and returns the next state and
// the alert the change calls for (nil when none), which is also appended to
// the next state's PendingAlerts. It is pure: storage and publishing are
// the caller's.
func Advance(prev State, r probe.Result, th Thresholds, runID string, now time.Time) (State, *Alert) {
	th = th.withDefaults()
	next := prev
	next.Target = r.Target
	if next.Status == "" {
		next.Status = Unknown
	}
	next.LastStatus = r.Status
	next.LastLatencyMs = r.LatencyMs
	next.LastCheckedAt = now
	next.LastRunID = runID
	next.RecentRunIDs = append(append([]string(nil), prev.RecentRunIDs...), runID)
	if n := len(next.RecentRunIDs); n > MaxRecentRuns {
		next.RecentRunIDs = next.RecentRunIDs[n-MaxRecentRuns:]
	}
	next.Revision = prev.Revision + 1
	next.PendingAlerts = append([]Alert(nil), prev.PendingAlerts...)

	var alert *Alert
	change := func(typ string, to probe.Status, since time.Time) {
		alert = &Alert{
			Type: typ, Target: r.Target, Status: to, Previous: next.Status, Since: since, At: now,
			Reason: r.Error, LatencyMs: r.LatencyMs, RunID: runID,
		}
		if to == probe.Down {
			alert.ConsecutiveFailures = next.ConsecutiveFailures
			next.IncidentStart = since
		}
		next.Status = to
		next.Since = since
		next.PendingAlerts = append(next.PendingAlerts, *alert)
	}

	if r.Status == probe.Down {
		if next.ConsecutiveFailures == 0 {
			next.FailingSince = now
		}
		next.ConsecutiveFailures++
		next.ConsecutiveSuccesses, next.ConsecutiveDegraded, next.ConsecutiveUp = 0, 0, 0
		if next.Status != probe.Down && next.ConsecutiveFailures >= th.DownAfter {
			change(TargetDown, probe.Down, next.FailingSince)
		}
		return next, alert
	}

	next.ConsecutiveFailures = 0
	next.FailingSince = time.Time{}
	next.ConsecutiveSuccesses++
	if r.Status == probe.Degraded {
		next.ConsecutiveDegraded++
		next.ConsecutiveUp = 0
	} else {
		next.ConsecutiveUp++
		next.ConsecutiveDegraded = 0
	}
	switch next.Status {
	case Unknown:
		// The first success establishes the target as up, quietly.
		next.Status, next.Since = probe.Up, now
		if next.ConsecutiveDegraded >= th.DegradedAfter {
			change(TargetDegraded, probe.Degraded, now)
		}
	case probe.Up:
		if next.ConsecutiveDegraded >= th.DegradedAfter {
			change(TargetDegraded, probe.Degraded, now)
		}
	case probe.Degraded:
		if next.ConsecutiveUp >= th.RecoverAfter {
			change(TargetRecovered, probe.Up, now)
		}
	case probe.Down:
		if next.ConsecutiveSuccesses >= th.RecoverAfter {
			to := probe.Up
			if r.Status == probe.Degraded {
				to = probe.Degraded
			}
			change(TargetRecovered, to, now)
		}
	}
	return next, alert
}
