package uptime

import (
	"context"
	"errors"
	"time"
)

// Store keeps each target's state and run history (shared/dynamo.Uptime).
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
}

// ErrConflict means the state changed since it was read (another run got
// there first); the caller reads again and reapplies its result.
var ErrConflict = errors.New("uptime: state changed concurrently")
