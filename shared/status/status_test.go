package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/uptime"
)

var now = time.Date(2026, 12, 1, 12, 30, 0, 0, time.UTC)

// history is an in-memory Source that counts the items it returns, as
// DynamoDB would read them. Build reads it from several goroutines.
type history struct {
	states    map[string]probe.Status
	days      map[string][]uptime.Day
	runs      map[string][]uptime.Run
	incidents map[string][]uptime.Incident
	mu        sync.Mutex
	items     int
}

func (h *history) count(n int) {
	h.mu.Lock()
	h.items += n
	h.mu.Unlock()
}

func (h *history) Load(_ context.Context, t string) (uptime.State, error) {
	h.count(1)
	s, ok := h.states[t]
	if !ok {
		return uptime.State{Target: t, Status: uptime.Unknown}, nil
	}
	return uptime.State{Target: t, Status: s}, nil
}

func (h *history) Runs(_ context.Context, t string, from, to time.Time) ([]uptime.Run, error) {
	var out []uptime.Run
	for _, r := range h.runs[t] {
		if !r.CheckedAt.Before(from) && !r.CheckedAt.After(to) {
			out = append(out, r)
		}
	}
	h.count(len(out))
	return out, nil
}

func (h *history) Days(_ context.Context, t, from, to string) ([]uptime.Day, error) {
	var out []uptime.Day
	for _, d := range h.days[t] {
		if d.Date >= from && d.Date <= to {
			out = append(out, d)
		}
	}
	h.count(len(out))
	return out, nil
}

func (h *history) Incidents(_ context.Context, t string, limit int) ([]uptime.Incident, error) {
	out := h.incidents[t]
	if len(out) > limit {
		out = out[:limit]
	}
	h.count(len(out))
	return out, nil
}

// seeded is n days of hourly runs for each target, every run up except
// downOn's, which are down from 10:00 to 13:59.
func seeded(targets []string, days int, downOn map[string]string) *history {
	h := &history{states: map[string]probe.Status{}, days: map[string][]uptime.Day{}, runs: map[string][]uptime.Run{}, incidents: map[string][]uptime.Incident{}}
	for _, t := range targets {
		h.states[t] = probe.Up
		for i := days - 1; i >= 0; i-- {
			date := uptime.DayOf(now.AddDate(0, 0, -i))
			d := uptime.Day{Date: date, Runs: 24, LatencyMsSum: 24 * 120}
			if downOn[t] == date {
				d.Down = 4
			}
			h.days[t] = append(h.days[t], d)
		}
		for i := 24; i >= 0; i-- {
			h.runs[t] = append(h.runs[t], uptime.Run{Target: t, CheckedAt: now.Add(-time.Duration(i) * time.Hour), Status: probe.Up, RunID: "r"})
		}
	}
	return h
}

func TestBuild(t *testing.T) {
	down := uptime.DayOf(now.AddDate(0, 0, -3))
	h := seeded([]string{"api", "admin"}, 40, map[string]string{"api": down})
	end := now.AddDate(0, 0, -3).Add(14 * time.Hour)
	old := now.AddDate(0, 0, -120)
	h.incidents["api"] = []uptime.Incident{{Start: end.Add(-4 * time.Hour), End: &end, DurationSeconds: 4 * 3600},
		{Start: old.Add(-time.Hour), End: &old, DurationSeconds: 3600}} // past its TTL, not yet deleted
	targets := []probe.Target{
		{Name: "api", URL: "https://internal.example/health", Public: true, Display: "Levqor API"},
		{Name: "admin", URL: "https://admin.internal.example/", Public: false},
	}
	p, err := Build(context.Background(), h, targets, now, 99.9)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 1 || p.Targets[0].Name != "Levqor API" || p.Overall != Operational {
		t.Fatalf("page %+v: want only the public target, by its display name", p)
	}
	pt := p.Targets[0]
	if len(pt.Incidents) != 1 {
		t.Errorf("incidents %+v: want the one of the last 90 days", pt.Incidents)
	}
	if len(pt.Days) != DaysShown || pt.Days[DaysShown-1].Date != uptime.DayOf(now) {
		t.Fatalf("%d bars ending %s", len(pt.Days), pt.Days[len(pt.Days)-1].Date)
	}
	levels := map[string]int{}
	for _, b := range pt.Days {
		levels[b.Level]++
	}
	// 40 days of data (one of them 20/24 up), 50 without.
	if levels[BarMet] != 39 || levels[BarDown] != 1 || levels[BarNoData] != 50 {
		t.Errorf("bar levels %v", levels)
	}
	figs := map[string]Figure{}
	for _, f := range pt.Uptime {
		figs[f.Window] = f
	}
	cases := []struct {
		window string
		want   float64
		meets  bool
	}{
		{"24h", 100, true},
		{"7d", 100 * float64(7*24-4) / float64(7*24), false},
		{"30d", 100 * float64(30*24-4) / float64(30*24), false},
		{"90d", 100 * float64(40*24-4) / float64(40*24), false},
	}
	for _, tc := range cases {
		t.Run(tc.window, func(t *testing.T) {
			f := figs[tc.window]
			if f.Percent == nil || *f.Percent != floor3(tc.want) || *f.MeetsSLA != tc.meets {
				t.Errorf("figure %+v, want %.3f meets %v", f, tc.want, tc.meets)
			}
		})
	}
	b, _ := json.Marshal(p)
	for _, leak := range []string{"internal.example", "admin", `"api"`} {
		if strings.Contains(string(b), leak) {
			t.Errorf("status.json reveals %q: %s", leak, b)
		}
	}
}

func TestOverall(t *testing.T) {
	cases := []struct {
		states []probe.Status
		want   string
	}{
		{[]probe.Status{probe.Up, probe.Up}, Operational},
		{[]probe.Status{probe.Up, probe.Degraded}, Degraded},
		{[]probe.Status{probe.Degraded, probe.Down}, Outage},
		{[]probe.Status{probe.Down, probe.Up}, Outage},
		{[]probe.Status{uptime.Unknown}, Unknown},
		{[]probe.Status{uptime.Unknown, probe.Up}, Operational},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			var names []string
			var targets []probe.Target
			for i := range tc.states {
				n := string(rune('a' + i))
				names = append(names, n)
				targets = append(targets, probe.Target{Name: n, Public: true})
			}
			h := seeded(names, 1, nil)
			for i, s := range tc.states {
				h.states[names[i]] = s
			}
			p, err := Build(context.Background(), h, targets, now, 99.9)
			if err != nil || p.Overall != tc.want {
				t.Errorf("overall %q (%v), want %q", p.Overall, err, tc.want)
			}
		})
	}
}

func TestHTML(t *testing.T) {
	h := seeded([]string{"api"}, 90, map[string]string{"api": uptime.DayOf(now.AddDate(0, 0, -1))})
	h.states["api"] = probe.Down
	h.incidents["api"] = []uptime.Incident{{Start: now.Add(-2 * time.Hour), Ongoing: true}}
	p, err := Build(context.Background(), h, []probe.Target{{Name: "api", URL: "https://secret.example/", Public: true, Display: "Levqor <API>"}}, now, 99.9)
	if err != nil {
		t.Fatal(err)
	}
	out, err := HTML(p)
	if err != nil {
		t.Fatal(err)
	}
	page := string(out)
	for _, want := range []string{
		`<html lang="en">`, `name="viewport"`, "Service outage", "Levqor &lt;API&gt;",
		`aria-label="Daily uptime of Levqor &lt;API&gt;, last 90 days"`,
		uptime.DayOf(now) + ": 100.000 % uptime", "Ongoing since", "below 99.9 %",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<li class="`); n != DaysShown {
		t.Errorf("%d bars, want %d", n, DaysShown)
	}
	for _, bad := range []string{"secret.example", "<script", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
}

func TestFloor3(t *testing.T) {
	cases := []struct{ in, want float64 }{{99.8996, 99.899}, {99.9, 99.9}, {100, 100}, {0, 0}, {99.99999, 99.999}}
	for _, tc := range cases {
		if got := floor3(tc.in); got != tc.want {
			t.Errorf("floor3(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	cases := []struct {
		s    int64
		want string
	}{{30, "1 min"}, {45 * 60, "45 min"}, {3*3600 + 300, "3 h 5 min"}, {52 * 3600, "2 d 4 h"}}
	for _, tc := range cases {
		if got := Duration(tc.s); got != tc.want {
			t.Errorf("Duration(%d) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// BenchmarkPage builds and renders the page for 5 public targets with 90
// days of hourly runs, and reports the items read per view.
func BenchmarkPage(b *testing.B) {
	testutil.LambdaHeap(b, "keepalive")
	names := []string{"api", "web", "docs", "billing", "auth"}
	h := seeded(names, 90, map[string]string{"web": uptime.DayOf(now.AddDate(0, 0, -10))})
	var targets []probe.Target
	for _, n := range names {
		targets = append(targets, probe.Target{Name: n, Public: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		h.items = 0
		p, err := Build(context.Background(), h, targets, now, 99.9)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := HTML(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(h.items), "items/view")
}

// gated is a Source whose Load waits until every one of want targets is
// in Load, or fails after a while; and whose fail target's Load fails at
// once while the others wait for their context.
type gated struct {
	*history
	want    int
	fail    string
	mu      sync.Mutex
	in      int
	allIn   chan struct{}
	waitCtx bool
}

var errRead = errors.New("read failed")

func (g *gated) Load(ctx context.Context, t string) (uptime.State, error) {
	if t == g.fail {
		return uptime.State{}, errRead
	}
	if g.waitCtx {
		<-ctx.Done()
		return uptime.State{}, fmt.Errorf("cancelled: %w", ctx.Err())
	}
	g.mu.Lock()
	if g.in++; g.in == g.want {
		close(g.allIn)
	}
	g.mu.Unlock()
	select {
	case <-g.allIn:
		return g.history.Load(ctx, t)
	case <-time.After(5 * time.Second):
		return uptime.State{}, errors.New("the targets were not read at the same time")
	}
}

// TestBuildReadsTargetsAtOnce: a view reads its targets side by side, and
// the first failure is what it returns, the other reads cancelled.
func TestBuildReadsTargetsAtOnce(t *testing.T) {
	names := []string{"a", "b", "c"}
	var targets []probe.Target
	for _, n := range names {
		targets = append(targets, probe.Target{Name: n, Public: true})
	}
	for _, tc := range []struct {
		name    string
		src     *gated
		wantErr error
	}{
		{"all at once", &gated{history: seeded(names, 3, nil), want: 3, allIn: make(chan struct{})}, nil},
		{"first failure", &gated{history: seeded(names, 3, nil), fail: "b", waitCtx: true}, errRead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p, err := Build(ctx, tc.src, targets, now, 99.9)
			if !errors.Is(err, tc.wantErr) || err != nil && ctx.Err() != nil {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && (len(p.Targets) != 3 || p.Targets[0].Name != "a" || p.Targets[2].Name != "c") {
				t.Errorf("targets %+v: want a, b, c in order", p.Targets)
			}
		})
	}
}

// BenchmarkPageWait is BenchmarkPage's 5 targets with every read taking
// 1 ms, as a DynamoDB round trip might: what a view waits for its reads.
func BenchmarkPageWait(b *testing.B) {
	testutil.LambdaHeap(b, "keepalive")
	names := []string{"api", "web", "docs", "billing", "auth"}
	src := slow{seeded(names, 90, nil)}
	var targets []probe.Target
	for _, n := range names {
		targets = append(targets, probe.Target{Name: n, Public: true})
	}
	for b.Loop() {
		if _, err := Build(context.Background(), src, targets, now, 99.9); err != nil {
			b.Fatal(err)
		}
	}
}

// slow is a Source whose every read takes 1 ms.
type slow struct{ *history }

func (s slow) Load(ctx context.Context, t string) (uptime.State, error) {
	time.Sleep(time.Millisecond)
	return s.history.Load(ctx, t)
}

func (s slow) Runs(ctx context.Context, t string, from, to time.Time) ([]uptime.Run, error) {
	time.Sleep(time.Millisecond)
	return s.history.Runs(ctx, t, from, to)
}

func (s slow) Days(ctx context.Context, t, from, to string) ([]uptime.Day, error) {
	time.Sleep(time.Millisecond)
	return s.history.Days(ctx, t, from, to)
}

func (s slow) Incidents(ctx context.Context, t string, limit int) ([]uptime.Incident, error) {
	time.Sleep(time.Millisecond)
	return s.history.Incidents(ctx, t, limit)
}
