package uptime

import (
	"testing"
	"time"

	"github.com/levqor/serverless/shared/probe"
)

// hourly builds runs one hour apart ending at end, from a status string:
// u up, g degraded, d down, '.' no run that hour.
func hourly(end time.Time, pattern string) []Run {
	var runs []Run
	n := len(pattern)
	for i, c := range pattern {
		at := end.Add(-time.Duration(n-1-i) * time.Hour)
		var s probe.Status
		switch c {
		case 'u':
			s = probe.Up
		case 'g':
			s = probe.Degraded
		case 'd':
			s = probe.Down
		default:
			continue
		}
		runs = append(runs, Run{Target: "api", CheckedAt: at, Status: s})
	}
	return runs
}

func pct(w WindowUptime) float64 {
	if w.UptimePercent == nil {
		return -1
	}
	return *w.UptimePercent
}

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	last := now.Add(-time.Hour) // the last run covers the final hour
	rep := func(s string, n int) string {
		out := ""
		for range n {
			out += s
		}
		return out
	}
	tests := []struct {
		name      string
		runs      []Run
		want24    float64
		want7d    float64
		want30d   float64
		meets24   bool
		incidents []Incident
	}{
		{name: "no data", runs: nil, want24: -1, want7d: -1, want30d: -1},
		{name: "all up for 30 days", runs: hourly(last, rep("u", 30*24)), want24: 100, want7d: 100, want30d: 100, meets24: true},
		{name: "degraded counts as up", runs: hourly(last, rep("g", 24)), want24: 100, want7d: 100, want30d: 100, meets24: true},
		{
			// 24 hourly runs, one down in the middle: 23/24 of the day up.
			name:   "one down hour in the day",
			runs:   hourly(last, rep("u", 12)+"d"+rep("u", 11)),
			want24: 95.833, want7d: 95.833, want30d: 95.833,
			incidents: []Incident{{Start: last.Add(-11 * time.Hour), End: ptr(last.Add(-10 * time.Hour)), DurationSeconds: 3600}},
		},
		{
			// 7 days hourly (168 runs), two down hours 3 days ago: the day is clean.
			name:   "old incident outside the day",
			runs:   hourly(last, rep("u", 96)+"dd"+rep("u", 70)),
			want24: 100, want7d: 98.81, want30d: 98.81, meets24: true,
			incidents: []Incident{{Start: last.Add(-71 * time.Hour), End: ptr(last.Add(-69 * time.Hour)), DurationSeconds: 7200}},
		},
		{
			name:   "ongoing outage",
			runs:   hourly(last, rep("u", 21)+"ddd"),
			want24: 87.5, want7d: 87.5, want30d: 87.5,
			incidents: []Incident{{Start: last.Add(-2 * time.Hour), Ongoing: true, DurationSeconds: 3 * 3600}},
		},
		{
			// A 5-hour hole with no runs is neither up nor down.
			name:   "gap is no data",
			runs:   hourly(last, rep("u", 10)+"....."+rep("u", 9)),
			want24: 100, want7d: 100, want30d: 100, meets24: true,
		},
		{
			// Down, then data stops: the period ends where its last span does (90 min).
			name:   "down then silence",
			runs:   hourly(last, rep("u", 10)+"d"+"..."+rep("u", 10)),
			want24: 93.023, want7d: 93.023, want30d: 93.023, // 20 h up of 21.5 h observed
			incidents: []Incident{{Start: last.Add(-13 * time.Hour), End: ptr(last.Add(-13*time.Hour + 90*time.Minute)), DurationSeconds: 5400}},
		},
		{
			// 30 days, 43 minutes down in total would be 99.9 %; here one hour: below.
			name:   "month with one bad hour misses 99.9",
			runs:   hourly(last, "d"+rep("u", 30*24-1)),
			want24: 100, want7d: 100, want30d: 99.861, meets24: true,
			incidents: []Incident{{Start: last.Add(-(30*24 - 1) * time.Hour), End: ptr(last.Add(-(30*24 - 2) * time.Hour)), DurationSeconds: 3600}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize("api", tt.runs, now, 99.9, 0)
			if len(s.Windows) != 3 || s.Windows[0].Window != "24h" || s.Windows[1].Window != "7d" || s.Windows[2].Window != "30d" {
				t.Fatalf("windows %+v", s.Windows)
			}
			for i, want := range []float64{tt.want24, tt.want7d, tt.want30d} {
				if got := pct(s.Windows[i]); got != want {
					t.Errorf("%s uptime = %v, want %v (%+v)", s.Windows[i].Window, got, want, s.Windows[i])
				}
			}
			if tt.want24 >= 0 && *s.Windows[0].MeetsSLA != tt.meets24 {
				t.Errorf("24h meets SLA = %v, want %v", *s.Windows[0].MeetsSLA, tt.meets24)
			}
			if len(s.Incidents) != len(tt.incidents) {
				t.Fatalf("incidents %+v, want %+v", s.Incidents, tt.incidents)
			}
			for i, want := range tt.incidents {
				got := s.Incidents[i]
				if !got.Start.Equal(want.Start) || got.Ongoing != want.Ongoing || got.DurationSeconds != want.DurationSeconds ||
					(got.End == nil) != (want.End == nil) || (got.End != nil && !got.End.Equal(*want.End)) {
					t.Errorf("incident %d = %+v (end %v), want %+v (end %v)", i, got, got.End, want, want.End)
				}
			}
		})
	}
}

func TestSummarizeSLAJudgedBeforeRounding(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	// 100000 s observed, 101 s down: 99.899 %, which rounds to 99.899 and misses.
	// 100000 s observed, 100 s down: exactly 99.9 %, which meets.
	for _, tc := range []struct {
		down  time.Duration
		meets bool
	}{{101 * time.Second, false}, {100 * time.Second, true}} {
		start := now.Add(-100000 * time.Second)
		runs := []Run{
			{CheckedAt: start, Status: probe.Down},
			{CheckedAt: start.Add(tc.down), Status: probe.Up},
		}
		s := Summarize("api", runs, now, 99.9, 48*time.Hour)
		w := s.Windows[1] // 7d: covers it all
		if *w.MeetsSLA != tc.meets || w.ObservedSeconds != 100000 {
			t.Errorf("down %s: %+v meets=%v, want %v", tc.down, w, *w.MeetsSLA, tc.meets)
		}
	}
}

func TestRunsCounted(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	runs := hourly(now.Add(-time.Hour), "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuu") // 30 runs
	s := Summarize("api", runs, now, 99.9, 0)
	if s.Windows[0].Runs != 24 || s.Windows[1].Runs != 30 {
		t.Fatalf("runs counted: %+v", s.Windows)
	}
}

func ptr(t time.Time) *time.Time { return &t }
