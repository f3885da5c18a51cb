package uptime

import (
	"math"
	"time"

	"github.com/levqor/serverless/shared/probe"
)

// Run is one run's result for one target, kept for RunTTL
// (pk TARGET#<name>, sk RUN#<checked_at>).
type Run struct {
	Target          string       `json:"target"`
	CheckedAt       time.Time    `json:"checked_at"`
	Status          probe.Status `json:"status"`
	StatusCode      int          `json:"status_code"`
	LatencyMs       int64        `json:"latency_ms"`
	Attempts        int          `json:"attempts"`
	RunID           string       `json:"run_id"`
	Version         string       `json:"version,omitempty"`
	FailedCondition string       `json:"failed_condition,omitempty"`
	Error           string       `json:"error,omitempty"`
}

// RunFrom makes the history record of one check result.
func RunFrom(r probe.Result, runID string, at time.Time) Run {
	return Run{
		Target: r.Target, CheckedAt: at, Status: r.Status, StatusCode: r.StatusCode, LatencyMs: r.LatencyMs,
		Attempts: r.Attempts, RunID: runID, Version: r.Version, FailedCondition: r.FailedCondition, Error: r.Error,
	}
}

// RunTTL is how long run records are kept (DynamoDB TTL on expires_at).
const RunTTL = 90 * 24 * time.Hour

// Window is a period uptime is reported over.
type Window struct {
	Name     string
	Duration time.Duration
}

// Windows are the reported periods: 24 hours, 7 days, 30 days.
var Windows = []Window{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

// DefaultMaxGap is how long one run's result stands for when no later run
// follows: the hourly schedule's period plus slack for a late or retried
// invocation. Time beyond it counts as "no data", neither up nor down.
const DefaultMaxGap = 90 * time.Minute

// WindowUptime is uptime over one window. UptimePercent and MeetsSLA are
// null when no run covers the window.
type WindowUptime struct {
	Window          string   `json:"window"`
	UptimePercent   *float64 `json:"uptime_percent"`
	MeetsSLA        *bool    `json:"meets_sla"`
	Runs            int      `json:"runs"`
	ObservedSeconds int64    `json:"observed_seconds"`
	DownSeconds     int64    `json:"down_seconds"`
}

// Incident is one down period: consecutive down runs. End is null while
// the target is still down.
type Incident struct {
	Start           time.Time  `json:"start"`
	End             *time.Time `json:"end"`
	DurationSeconds int64      `json:"duration_seconds"`
	Ongoing         bool       `json:"ongoing"`
}

// Summary is one target's uptime against the SLA.
type Summary struct {
	Target     string         `json:"target"`
	SLAPercent float64        `json:"sla_percent"`
	Windows    []WindowUptime `json:"windows"`
	Incidents  []Incident     `json:"incidents"`
}

// span is the time one run's status stands for.
type span struct {
	from, to time.Time
	down     bool
}

// Summarize computes uptime per window ending at now and the incidents of
// the longest window, from runs in time order (older runs are ignored where
// they fall outside a window). Each run's status holds from its time until
// the next run, at most maxGap (DefaultMaxGap when zero) and never past now;
// degraded counts as up. Uptime is (observed - down) / observed.
func Summarize(target string, runs []Run, now time.Time, slaPercent float64, maxGap time.Duration) Summary {
	if maxGap <= 0 {
		maxGap = DefaultMaxGap
	}
	spans := make([]span, 0, len(runs))
	for i, r := range runs {
		end := r.CheckedAt.Add(maxGap)
		if i+1 < len(runs) && runs[i+1].CheckedAt.Before(end) {
			end = runs[i+1].CheckedAt
		}
		if end.After(now) {
			end = now
		}
		if !end.After(r.CheckedAt) {
			continue
		}
		spans = append(spans, span{from: r.CheckedAt, to: end, down: r.Status == probe.Down})
	}
	s := Summary{Target: target, SLAPercent: slaPercent, Incidents: []Incident{}}
	var longest time.Duration
	for _, w := range Windows {
		from := now.Add(-w.Duration)
		wu := WindowUptime{Window: w.Name}
		var observed, down time.Duration
		for _, sp := range spans {
			a, b := maxTime(sp.from, from), sp.to
			if !b.After(a) {
				continue
			}
			observed += b.Sub(a)
			if sp.down {
				down += b.Sub(a)
			}
		}
		wu.Runs = countRuns(runs, from, now)
		wu.ObservedSeconds = int64(observed / time.Second)
		wu.DownSeconds = int64(down / time.Second)
		if observed > 0 {
			exact := 100 * float64(observed-down) / float64(observed)
			meets := exact >= slaPercent // judged before rounding: 99.8996 does not meet 99.9
			pct := round3(exact)
			wu.UptimePercent, wu.MeetsSLA = &pct, &meets
		}
		s.Windows = append(s.Windows, wu)
		longest = max(longest, w.Duration)
	}
	s.Incidents = incidents(spans, now, now.Add(-longest))
	return s
}

func countRuns(runs []Run, from, to time.Time) int {
	n := 0
	for _, r := range runs {
		if !r.CheckedAt.Before(from) && !r.CheckedAt.After(to) {
			n++
		}
	}
	return n
}

// incidents joins consecutive down spans into down periods overlapping
// [from, now]. A period ends at the first run that is not down; if data
// stops while down (a gap), it ends where its last span does.
func incidents(spans []span, now, from time.Time) []Incident {
	out := []Incident{}
	var cur *Incident
	var lastEnd time.Time
	closeCur := func(end time.Time, ongoing bool) {
		if cur == nil {
			return
		}
		if end.After(from) {
			if ongoing {
				cur.Ongoing = true
				cur.DurationSeconds = int64(now.Sub(cur.Start) / time.Second)
			} else {
				e := end
				cur.End = &e
				cur.DurationSeconds = int64(end.Sub(cur.Start) / time.Second)
			}
			out = append(out, *cur)
		}
		cur = nil
	}
	for _, sp := range spans {
		if cur != nil && sp.from.After(lastEnd) {
			closeCur(lastEnd, false) // a gap in the data ends the known period
		}
		if sp.down {
			if cur == nil {
				cur = &Incident{Start: sp.from}
			}
			lastEnd = sp.to
			continue
		}
		closeCur(sp.from, false)
	}
	if cur != nil {
		// Still down at the last run: ongoing if that run's span reaches now.
		closeCur(lastEnd, !lastEnd.Before(now))
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// round3 rounds to three decimals, enough to tell 99.9 from 99.95.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
