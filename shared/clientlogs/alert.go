package clientlogs

import (
	"context"
	"log/slog"
	"time"

	"github.com/levqor/serverless/shared/monitor"
)

// AlertWindow is how long one fingerprint stays quiet after an alert: one
// broken release in many browsers is one alert, not thousands.
const AlertWindow = 10 * time.Minute

// maxAlertsPerBatch bounds the gate calls (and webhook posts) one request
// may make, so a batch of 50 different errors cannot hold its sender.
const maxAlertsPerBatch = 5

// AlertBudget bounds the whole alert step of one request: a slow gate or
// webhook costs the batch this much at most (the function's timeout is 10
// s), and alerts it could not send in time are logged as not sent.
const AlertBudget = 2 * time.Second

// Gate admits the first alert for a fingerprint in each window.
type Gate interface {
	// Admit reports whether an alert for fingerprint may go now: true at
	// most once per window. It returns an error when the gate cannot be
	// asked; the alert is then not sent.
	Admit(ctx context.Context, fingerprint string, now time.Time, window time.Duration) (bool, error)
}

// Alerter tells the error monitor about client errors, once per
// fingerprint per AlertWindow.
type Alerter struct {
	Gate     Gate
	Notifier monitor.Notifier
	Now      func() time.Time // nil means time.Now
	Budget   time.Duration    // the alert step's time at most; 0 means AlertBudget
}

// Alert notifies the monitor of the batch's error records whose
// fingerprint the gate admits, at most maxAlertsPerBatch distinct ones,
// and returns how many it sent. Failures are logged to l, never returned:
// the records are already logged, so the request has succeeded.
func (a *Alerter) Alert(ctx context.Context, recs []Record, correlationID string, l *slog.Logger) int {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	budget := a.Budget
	if budget <= 0 {
		budget = AlertBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	seen := map[string]bool{}
	sent := 0
	for _, r := range recs {
		if r.Level != Error || seen[r.Fingerprint] {
			continue
		}
		if len(seen) == maxAlertsPerBatch || ctx.Err() != nil {
			l.Info("client error alerts capped for this batch", "cap", maxAlertsPerBatch, "budget_left", ctx.Err() == nil)
			break
		}
		seen[r.Fingerprint] = true
		t := now()
		ok, err := a.Gate.Admit(ctx, r.Fingerprint, t, AlertWindow)
		if err != nil {
			l.Warn("client error alert gate unavailable: alert not sent", "fingerprint", r.Fingerprint, "error", err.Error())
			continue
		}
		if !ok {
			continue
		}
		in := monitor.Incident{
			Category:      monitor.Client,
			Severity:      monitor.Warning,
			Message:       "client error: " + cut(r.Message, 200),
			CorrelationID: correlationID,
			Fields:        map[string]string{"fingerprint": r.Fingerprint, "release": r.Release},
			Time:          t,
		}
		if err := a.Notifier.Notify(ctx, in); err != nil {
			l.Warn("client error alert not delivered", "fingerprint", r.Fingerprint, "error", err.Error())
			continue
		}
		sent++
	}
	return sent
}
