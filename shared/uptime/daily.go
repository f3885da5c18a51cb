package uptime

import "time"

// Day is one target's runs on one UTC day: the roll-up the keepalive adds
// each run to (pk TARGET#<name>, sk DAY#<date>), so that a status page
// over 90 days reads 90 small items, never 90 days of runs.
type Day struct {
	Date         string `json:"date"` // YYYY-MM-DD, UTC
	Runs         int    `json:"runs"`
	Down         int    `json:"down"`
	Degraded     int    `json:"degraded"`
	LatencyMsSum int64  `json:"latency_ms_sum"`
}

// DayFormat is Day.Date's layout.
const DayFormat = "2006-01-02"

// DayTTL is how long a day's roll-up is kept after the day: the 90 days a
// status page shows, and ten more.
const DayTTL = 100 * 24 * time.Hour

// DayOf is the UTC date t falls on.
func DayOf(t time.Time) string { return t.UTC().Format(DayFormat) }

// UptimePercent is the share of the day's runs that were not down (a
// degraded run is up), and false when the day has no run.
func (d Day) UptimePercent() (float64, bool) {
	if d.Runs <= 0 {
		return 0, false
	}
	return 100 * float64(d.Runs-d.Down) / float64(d.Runs), true
}
