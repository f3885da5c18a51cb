package drift

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
)

// EventSource and EventDriftDetected name the event a drifted scan publishes.
const (
	EventSource        = "levqor.drift"
	EventDriftDetected = "DriftDetected"
)

// DriftDetectedDetail is the DriftDetected event's detail: what drifted,
// never configuration values that could hold secrets.
type DriftDetectedDetail struct {
	Baseline  string   `json:"baseline"`
	ScannedAt string   `json:"scanned_at"`
	Failed    []string `json:"failed"`
	Summary   Summary  `json:"summary"`
}

// Scanner runs the live checks against a deployment (shared/awsdrift).
type Scanner interface {
	Scan(ctx context.Context, t Target) Report
}

// Runner is one drift scan end to end: scan, keep the report, and alert on
// drift. Store, Bus and Monitor are optional (nil: that step is left out).
type Runner struct {
	Scanner Scanner
	Store   ReportStore
	Bus     eventbus.Publisher
	Monitor monitor.Notifier
	// Metrics receives Levqor/Drift ChecksFailed and ChecksSkipped per
	// scan, split by Service; nil writes none.
	Metrics *metrics.Writer
	Service string
}

// Run scans t and returns the report. The error joins whatever went wrong
// after the scan (storing the report, publishing DriftDetected, notifying
// the monitor); the report is valid either way, so an HTTP caller can still
// answer it while a scheduled run returns the error to be retried.
func (r *Runner) Run(ctx context.Context, t Target, correlationID string) (Report, error) {
	rep := r.Scanner.Scan(ctx, t)
	var errs []error
	if r.Metrics != nil {
		// The dashboard's drift status: failed checks over time.
		err := r.Metrics.Emit(metrics.NamespaceDrift, []metrics.Dimension{{Name: "Service", Value: r.Service}},
			metrics.Metric{Name: "ChecksFailed", Unit: metrics.Count, Value: float64(rep.Summary.Fail)},
			metrics.Metric{Name: "ChecksSkipped", Unit: metrics.Count, Value: float64(rep.Summary.Skip)})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if r.Store != nil {
		if err := r.Store.Save(ctx, rep); err != nil {
			errs = append(errs, err)
		}
	}
	if rep.Status == Drifted {
		errs = append(errs, r.alert(ctx, rep, correlationID))
	}
	return rep, errors.Join(errs...)
}

func (r *Runner) alert(ctx context.Context, rep Report, correlationID string) error {
	failed := rep.Failed()
	var errs []error
	if r.Bus != nil {
		err := r.Bus.Publish(ctx, eventbus.Event{
			Source:     EventSource,
			DetailType: EventDriftDetected,
			Detail:     DriftDetectedDetail{Baseline: rep.Baseline, ScannedAt: rep.ScannedAt, Failed: failed, Summary: rep.Summary},
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("drift: publish %s: %w", EventDriftDetected, err))
		}
	}
	if r.Monitor != nil {
		at, _ := time.Parse(time.RFC3339, rep.ScannedAt) // NewReport wrote it in this layout.
		err := r.Monitor.Notify(ctx, monitor.Incident{
			Category:      monitor.Drift,
			Severity:      monitor.Warning,
			Message:       fmt.Sprintf("drift detected against baseline %s: %d checks failed", rep.Baseline, len(failed)),
			CorrelationID: correlationID,
			Fields:        map[string]string{"failed": strings.Join(failed, ","), "baseline": rep.Baseline},
			Time:          at,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("drift: notify monitor: %w", err))
		}
	}
	return errors.Join(errs...)
}
