// Package status is the public status page: each public keepalive target's
// current state, 90 daily bars, uptime over 24 h, 7, 30 and 90 days
// against the SLA, and its recent incidents, built from the daily roll-ups
// (never 90 days of runs) and rendered as one self-contained HTML page or
// as JSON. It shows a target's display name and figures only: no URL,
// error text or correlation id.
package status

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/levqor/serverless/shared/fanout"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/uptime"
)

// DaysShown is how many daily bars a target has; IncidentsShown how many
// recent incidents.
const (
	DaysShown      = 90
	IncidentsShown = 5
)

// Source is what the page reads: uptime.Store has it. It must be safe for
// concurrent use.
type Source interface {
	Load(ctx context.Context, target string) (uptime.State, error)
	Runs(ctx context.Context, target string, from, to time.Time) ([]uptime.Run, error)
	Days(ctx context.Context, target, from, to string) ([]uptime.Day, error)
	Incidents(ctx context.Context, target string, limit int) ([]uptime.Incident, error)
}

// The states the page shows, of a target and overall (Unknown overall:
// no public target has been checked yet).
const (
	Operational = "operational"
	Degraded    = "degraded"
	Outage      = "outage"
	Unknown     = "unknown" // no run yet
)

// Page is the status page's data (GET /status.json).
type Page struct {
	GeneratedAt time.Time `json:"generated_at"`
	SLAPercent  float64   `json:"sla_percent"`
	Overall     string    `json:"overall"`
	Targets     []Target  `json:"targets"`
}

// Target is one public target.
type Target struct {
	Name      string            `json:"name"` // the display name
	Status    string            `json:"status"`
	Uptime    []Figure          `json:"uptime"`
	Days      []Bar             `json:"days"` // DaysShown, oldest first
	Incidents []uptime.Incident `json:"incidents"`
}

// Figure is uptime over one window; Percent and MeetsSLA are null without
// data.
type Figure struct {
	Window   string   `json:"window"`
	Percent  *float64 `json:"uptime_percent"`
	MeetsSLA *bool    `json:"meets_sla"`
}

// Bar is one day: its uptime and how it compares with the SLA.
type Bar struct {
	Date    string   `json:"date"`
	Percent *float64 `json:"uptime_percent"`
	Level   string   `json:"level"` // BarMet, BarMissed, BarDown or BarNoData
}

// Bar levels: the SLA met, missed but at least 99 %, below 99 %, no runs.
const (
	BarMet    = "met"
	BarMissed = "missed"
	BarDown   = "down"
	BarNoData = "none"
)

// Build reads the public targets from src side by side (fanout.Each: src
// must be safe for concurrent use, as uptime's DynamoDB store is), each
// target's four reads in turn, and returns the page at now. It returns the
// first error src returns; the reads still running get a cancelled context.
func Build(ctx context.Context, src Source, targets []probe.Target, now time.Time, slaPercent float64) (Page, error) {
	now = now.UTC() // days are UTC days, whatever the caller's zone
	p := Page{GeneratedAt: now, SLAPercent: slaPercent, Overall: Unknown, Targets: []Target{}}
	// The days shown, oldest first: the same for every target.
	first := now.AddDate(0, 0, -(DaysShown - 1))
	dates := make([]string, DaysShown)
	for i := range dates {
		dates[i] = uptime.DayOf(first.AddDate(0, 0, i))
	}
	var public []probe.Target
	for _, t := range targets {
		if t.Public {
			public = append(public, t)
		}
	}
	built := make([]Target, len(public))
	err := fanout.Each(ctx, len(public), func(ctx context.Context, i int) (err error) {
		built[i], err = build(ctx, src, public[i], now, first, dates, slaPercent)
		return err
	})
	if err != nil {
		return Page{}, err
	}
	for _, pt := range built {
		switch {
		case pt.Status == Outage:
			p.Overall = Outage
		case pt.Status == Degraded && p.Overall != Outage:
			p.Overall = Degraded
		case pt.Status == Operational && p.Overall == Unknown:
			p.Overall = Operational
		}
		p.Targets = append(p.Targets, pt)
	}
	return p, nil
}

func build(ctx context.Context, src Source, t probe.Target, now, first time.Time, dates []string, sla float64) (Target, error) {
	out := Target{Name: t.DisplayName()}
	st, err := src.Load(ctx, t.Name)
	if err != nil {
		return out, err
	}
	out.Status = stateOf(st.Status)
	runs, err := src.Runs(ctx, t.Name, now.Add(-24*time.Hour-uptime.DefaultMaxGap), now)
	if err != nil {
		return out, err
	}
	days, err := src.Days(ctx, t.Name, dates[0], dates[len(dates)-1])
	if err != nil {
		return out, err
	}
	if out.Incidents, err = src.Incidents(ctx, t.Name, IncidentsShown); err != nil {
		return out, err
	}
	if out.Incidents == nil {
		out.Incidents = []uptime.Incident{}
	}
	// Items past their TTL linger until DynamoDB deletes them (up to
	// days): an incident that ended before the 90 days shown is left out.
	recent := out.Incidents[:0]
	for _, in := range out.Incidents {
		if in.Ongoing {
			in.DurationSeconds = int64(now.Sub(in.Start) / time.Second)
		} else if in.End != nil && in.End.Before(first) {
			continue
		}
		recent = append(recent, in)
	}
	out.Incidents = recent
	day := uptime.Summarize(t.Name, runs, now, sla, 0).Windows[0]
	f24 := Figure{Window: "24h"}
	if day.ObservedSeconds > 0 {
		exact := 100 * float64(day.ObservedSeconds-day.DownSeconds) / float64(day.ObservedSeconds)
		p := floor3(exact)
		f24.Percent, f24.MeetsSLA = &p, day.MeetsSLA
	}
	out.Uptime = append(out.Uptime, f24)
	byDate := make(map[string]uptime.Day, len(days))
	for _, d := range days {
		byDate[d.Date] = d
	}
	for _, w := range []struct {
		name string
		n    int
	}{{"7d", 7}, {"30d", 30}, {"90d", 90}} {
		var runs, down int
		for _, date := range dates[len(dates)-w.n:] {
			d := byDate[date]
			runs, down = runs+d.Runs, down+d.Down
		}
		out.Uptime = append(out.Uptime, figure(w.name, uptime.Day{Runs: runs, Down: down}, sla))
	}
	for _, date := range dates {
		out.Days = append(out.Days, bar(date, byDate[date], sla))
	}
	return out, nil
}

func stateOf(s probe.Status) string {
	switch s {
	case probe.Up:
		return Operational
	case probe.Degraded:
		return Degraded
	case probe.Down:
		return Outage
	}
	return Unknown
}

func figure(window string, d uptime.Day, sla float64) Figure {
	f := Figure{Window: window}
	if pct, ok := d.UptimePercent(); ok {
		meets := pct >= sla
		r := floor3(pct)
		f.Percent, f.MeetsSLA = &r, &meets
	}
	return f
}

func bar(date string, d uptime.Day, sla float64) Bar {
	b := Bar{Date: date, Level: BarNoData}
	pct, ok := d.UptimePercent()
	if !ok {
		return b
	}
	r := floor3(pct)
	b.Percent = &r
	switch {
	case pct >= sla:
		b.Level = BarMet
	case pct >= 99:
		b.Level = BarMissed
	default:
		b.Level = BarDown
	}
	return b
}

// floor3 keeps three decimals, rounding down: a figure below the SLA is
// never shown as meeting it (99.8996 is 99.899, not 99.900).
func floor3(f float64) float64 { return math.Floor(f*1000+1e-9) / 1000 }

// Percent formats a figure for people: "99.950 %", or "no data".
func Percent(p *float64) string {
	if p == nil {
		return "no data"
	}
	return fmt.Sprintf("%.3f %%", *p)
}

// Duration formats an incident's length: "45 min", "3 h 5 min", "2 d 4 h".
func Duration(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", max(1, int(d.Minutes())))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}
