package uptime

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/probe"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// TestAdvance feeds a sequence of run statuses through Advance and checks
// the confirmed status after each run and the alerts raised, written as
// "Type:status" or "-" for none.
func TestAdvance(t *testing.T) {
	const U, G, D = probe.Up, probe.Degraded, probe.Down
	tests := []struct {
		name   string
		th     Thresholds
		runs   []probe.Status
		status []probe.Status
		alerts string
	}{
		{name: "first success is quiet", runs: []probe.Status{U, U},
			status: []probe.Status{U, U}, alerts: "- -"},
		{name: "one failed run is not an outage", runs: []probe.Status{U, D, U},
			status: []probe.Status{U, U, U}, alerts: "- - -"},
		{name: "down after two, no repeat, recovered after one", runs: []probe.Status{U, D, D, D, D, U, U},
			status: []probe.Status{U, U, D, D, D, U, U},
			alerts: "- - TargetDown:down - - TargetRecovered:up -"},
		{name: "down from the first run", runs: []probe.Status{D, D, D},
			status: []probe.Status{Unknown, D, D}, alerts: "- TargetDown:down -"},
		{name: "threshold one", th: Thresholds{DownAfter: 1, RecoverAfter: 1, DegradedAfter: 1}, runs: []probe.Status{U, D, U, G, U},
			status: []probe.Status{U, D, U, G, U},
			alerts: "- TargetDown:down TargetRecovered:up TargetDegraded:degraded TargetRecovered:up"},
		{name: "recover after three", th: Thresholds{DownAfter: 2, RecoverAfter: 3}, runs: []probe.Status{D, D, U, U, D, U, U, U, U},
			status: []probe.Status{Unknown, D, D, D, D, D, D, U, U},
			alerts: "- TargetDown:down - - - - - TargetRecovered:up -"},
		{name: "degraded after two slow runs", runs: []probe.Status{U, G, U, G, G, G, U},
			status: []probe.Status{U, U, U, U, G, G, U},
			alerts: "- - - - TargetDegraded:degraded - TargetRecovered:up"},
		{name: "degraded then down", runs: []probe.Status{G, G, D, D, G},
			status: []probe.Status{U, G, G, D, G},
			alerts: "- TargetDegraded:degraded - TargetDown:down TargetRecovered:degraded"},
		{name: "flapping below the threshold never alerts", runs: []probe.Status{U, D, U, D, U, D, U},
			status: []probe.Status{U, U, U, U, U, U, U}, alerts: "- - - - - - -"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{Target: "api", Status: Unknown}
			var alerts []string
			for i, s := range tt.runs {
				now := t0.Add(time.Duration(i) * time.Hour)
				var a *Alert
				prevRev := st.Revision
				st, a = Advance(st, probe.Result{Target: "api", Status: s, LatencyMs: int64(i)}, tt.th, "run-"+string(rune('a'+i)), now)
				if st.Status != tt.status[i] {
					t.Fatalf("after run %d (%s): status %s, want %s", i, s, st.Status, tt.status[i])
				}
				if st.Revision != prevRev+1 || st.LastRunID != "run-"+string(rune('a'+i)) || !st.LastCheckedAt.Equal(now) {
					t.Fatalf("bookkeeping not advanced: %+v", st)
				}
				if a == nil {
					alerts = append(alerts, "-")
					continue
				}
				alerts = append(alerts, a.Type+":"+string(a.Status))
				if a.Target != "api" || a.RunID != st.LastRunID || !a.At.Equal(now) {
					t.Fatalf("alert fields: %+v", a)
				}
				if a.Status == probe.Down && !st.IncidentStart.Equal(a.Since) {
					t.Fatalf("down since %v, incident start %v: want the same", a.Since, st.IncidentStart)
				}
				st.PendingAlerts = nil // published
			}
			if got := strings.Join(alerts, " "); got != tt.alerts {
				t.Fatalf("alerts\n got %s\nwant %s", got, tt.alerts)
			}
		})
	}
}

func TestAdvanceRemembersRecentRuns(t *testing.T) {
	st := State{Target: "api"}
	for i := range MaxRecentRuns + 3 {
		st, _ = Advance(st, probe.Result{Target: "api", Status: probe.Up}, Thresholds{}, fmt.Sprintf("run-%d", i), t0)
	}
	if len(st.RecentRunIDs) != MaxRecentRuns || st.RecentRunIDs[MaxRecentRuns-1] != fmt.Sprintf("run-%d", MaxRecentRuns+2) {
		t.Fatalf("recent %v", st.RecentRunIDs)
	}
	if st.Applied("run-0") || !st.Applied("run-3") || !st.Applied(st.LastRunID) {
		t.Fatalf("Applied wrong for %v", st.RecentRunIDs)
	}
}

func TestAdvanceDownSinceFirstFailure(t *testing.T) {
	st := State{Target: "api", Status: probe.Up}
	st, _ = Advance(st, probe.Result{Target: "api", Status: probe.Down}, Thresholds{}, "r1", t0)
	st, a := Advance(st, probe.Result{Target: "api", Status: probe.Down, Error: "timeout after 5s"}, Thresholds{}, "r2", t0.Add(time.Hour))
	if a == nil || !a.Since.Equal(t0) || !st.Since.Equal(t0) || a.ConsecutiveFailures != 2 || a.Reason != "timeout after 5s" || a.Previous != probe.Up {
		t.Fatalf("alert %+v state %+v", a, st)
	}
	if len(st.PendingAlerts) != 1 || st.PendingAlerts[0].Type != TargetDown {
		t.Fatalf("alert not pending: %+v", st.PendingAlerts)
	}
	// An unpublished alert stays pending beside the next one.
	st, _ = Advance(st, probe.Result{Target: "api", Status: probe.Up}, Thresholds{}, "r3", t0.Add(2*time.Hour))
	if len(st.PendingAlerts) != 2 || st.PendingAlerts[1].Type != TargetRecovered {
		t.Fatalf("pending = %+v", st.PendingAlerts)
	}
}
