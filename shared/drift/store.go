package drift

import (
	"context"
	"errors"
	"time"
)

// ReportStore keeps reports (shared/dynamo.DriftReports). Save never
// overwrites a stored report; Latest returns ErrNoReport when none is
// stored. Other errors are the store's own.
type ReportStore interface {
	Save(ctx context.Context, r Report) error
	Latest(ctx context.Context) (Report, error)
}

// DefaultRetention is how long a report is kept (the table's TTL).
const DefaultRetention = 90 * 24 * time.Hour

// ErrNoReport is returned by Latest when no report has been stored.
var ErrNoReport = errors.New("drift: no report stored")
