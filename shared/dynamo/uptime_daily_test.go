package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/uptime"
)

func TestUptimeDays(t *testing.T) {
	s := newUptime(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	run := func(id string, at time.Time, st probe.Status, lat int64) uptime.Run {
		return uptime.Run{Target: "web", CheckedAt: at, Status: st, LatencyMs: lat, RunID: id}
	}
	for _, r := range []uptime.Run{
		run("r1", day.Add(time.Hour), probe.Up, 100),
		run("r2", day.Add(2*time.Hour), probe.Down, 0),
		run("r2", day.Add(2*time.Hour), probe.Down, 0), // a redelivery: counted once
		run("r3", day.Add(3*time.Hour), probe.Degraded, 900),
		run("r4", day.Add(25*time.Hour), probe.Up, 50), // the next day
	} {
		if err := s.AddToDay(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		from, to string
		want     []uptime.Day
	}{
		{"both days", "2026-11-29", "2026-12-01", []uptime.Day{
			{Date: "2026-11-30", Runs: 3, Down: 1, Degraded: 1, LatencyMsSum: 1000},
			{Date: "2026-12-01", Runs: 1, LatencyMsSum: 50},
		}},
		{"one day", "2026-12-01", "2026-12-01", []uptime.Day{{Date: "2026-12-01", Runs: 1, LatencyMsSum: 50}}},
		{"none", "2026-10-01", "2026-10-31", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Days(ctx, "web", tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Days = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("day %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	// A backfilled day replaces what is there.
	if err := s.PutDay(ctx, "web", uptime.Day{Date: "2026-12-01", Runs: 24, Down: 2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Days(ctx, "web", "2026-12-01", "2026-12-01"); len(got) != 1 || got[0] != (uptime.Day{Date: "2026-12-01", Runs: 24, Down: 2}) {
		t.Errorf("after PutDay: %+v", got)
	}
	if p, ok := (uptime.Day{Runs: 3, Down: 1}).UptimePercent(); !ok || p < 66.66 || p > 66.67 {
		t.Errorf("UptimePercent = %v %v", p, ok)
	}
}

func TestUptimeIncidents(t *testing.T) {
	s := newUptime(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	steps := []func() error{
		func() error { return s.OpenIncident(ctx, "web", t1) },
		func() error { return s.OpenIncident(ctx, "web", t1) }, // twice: one incident
		func() error { return s.CloseIncident(ctx, "web", t1, t1.Add(90*time.Minute)) },
		func() error { return s.OpenIncident(ctx, "web", t2) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Incidents(ctx, "web", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Start.Equal(t2) || !got[0].Ongoing || got[0].End != nil {
		t.Fatalf("incidents %+v: want the ongoing one first", got)
	}
	if old := got[1]; !old.Start.Equal(t1) || old.Ongoing || old.DurationSeconds != 5400 {
		t.Errorf("closed incident %+v", old)
	}
	if one, _ := s.Incidents(ctx, "web", 1); len(one) != 1 {
		t.Errorf("limit 1 gave %d", len(one))
	}
}
