package uptime

import (
	"context"
	"errors"
	"time"
)

// Store keeps each target's state and run history (shared/dynamo.Uptime).
// It must be safe for concurrent use: reports read targets side by side.
// Errors other than ErrConflict are *problem.Error: Unavailable (503) when
// the store cannot be reached, Internal otherwise.
type Store interface {
	// Load reads a target's state with a consistent read; a target never
	// seen has the zero State with Status unknown.
	Load(ctx context.Context, target string) (State, error)
	// Save writes next over prev only if the stored revision is still
	// prev's and next's run has not written it yet; else ErrConflict.
	Save(ctx context.Context, prev, next State) error
	// ClearPending sets target's pending alerts to remaining if the state is
	// still at revision, bumping the revision; else ErrConflict.
	ClearPending(ctx context.Context, target string, revision int64, remaining []Alert) error
	// PutRun keeps one run record (kept RunTTL); one already there for the
	// same time and run is left as it is, and runs of the same instant are
	// all kept.
	PutRun(ctx context.Context, r Run) error
	// Runs returns target's runs checked in [from, to], oldest first.
	Runs(ctx context.Context, target string, from, to time.Time) ([]Run, error)
	// AddToDay counts r into its target's roll-up for r's UTC day, once
	// per run id however often it is called.
	AddToDay(ctx context.Context, r Run) error
	// Days returns target's roll-ups for the dates in [from, to]
	// (DayFormat), oldest first; a day without runs has none.
	Days(ctx context.Context, target, from, to string) ([]Day, error)
	// OpenIncident records that target went down at start (once).
	OpenIncident(ctx context.Context, target string, start time.Time) error
	// CloseIncident records that the incident that began at start ended.
	CloseIncident(ctx context.Context, target string, start, end time.Time) error
	// Incidents returns target's most recent incidents, at most limit,
	// newest first; an ongoing one has no End.
	Incidents(ctx context.Context, target string, limit int) ([]Incident, error)
}

// ErrConflict means the state changed since it was read (another run got
// there first); the caller reads again and reapplies its result.
var ErrConflict = errors.New("uptime: state changed concurrently")
