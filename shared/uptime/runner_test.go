package uptime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/fanout"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/monitor"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/retry"
	"github.com/levqor/serverless/shared/uptime"
)

// bus records published events; fail makes Publish fail.
type bus struct {
	mu     sync.Mutex
	events []eventbus.Event
	fail   atomic.Bool
}

func (b *bus) Publish(_ context.Context, evs ...eventbus.Event) error {
	if b.fail.Load() {
		return errors.New("bus down")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, evs...)
	return nil
}

func (b *bus) types() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.events {
		out = append(out, e.DetailType)
	}
	return strings.Join(out, ",")
}

type notes struct {
	mu  sync.Mutex
	ins []monitor.Incident
}

func (n *notes) Notify(_ context.Context, in monitor.Incident) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ins = append(n.ins, in)
	return nil
}

// switchable is a real HTTP target whose health the test sets.
type switchable struct {
	status atomic.Value // "up", "down", "slow", "wrong-version"
	srv    *httptest.Server
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.status.Store("up")
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.status.Load() {
		case "down":
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case "slow":
			time.Sleep(40 * time.Millisecond)
		case "wrong-version":
			w.Write([]byte(`{"status":"ok","version":"0.0.1"}`))
			return
		}
		w.Write([]byte(`{"status":"ok","version":"1.0.0"}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

type fixture struct {
	r     *uptime.Runner
	bus   *bus
	notes *notes
	emf   *bytes.Buffer
	clock *clock
}

func newFixture(t *testing.T, store uptime.Store) *fixture {
	f := &fixture{bus: &bus{}, notes: &notes{}, emf: &bytes.Buffer{}, clock: &clock{now: t0}}
	f.r = &uptime.Runner{
		Checker:    &probe.Checker{Retry: retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}},
		Store:      store,
		Publisher:  f.bus,
		Notifier:   f.notes,
		Metrics:    &metrics.Writer{W: f.emf},
		Thresholds: uptime.DefaultThresholds(),
		SLAPercent: 99.9,
		Now:        f.clock.Now,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return f
}

func targetFor(t *testing.T, name, url string) probe.Target {
	tg, err := probe.DefaultTarget(url, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	tg.Name, tg.URL, tg.DegradedAfter, tg.Timeout = name, url+"/health", 20*time.Millisecond, 2*time.Second
	return tg
}

// TestRunnerTransitions runs the monitor hourly against a real target whose
// health changes, and checks what reaches the bus and the error monitor:
// one alert per change, none for a repeated state.
func TestRunnerTransitions(t *testing.T) {
	f := newFixture(t, newStore(t))
	target := newSwitchable(t)
	tg := targetFor(t, "api", target.srv.URL)
	steps := []struct {
		health     string
		wantStatus string // report status
		wantAlerts string // alerts raised by this run
	}{
		{"up", "ok", ""},
		{"down", "down", ""},            // one failed run: not yet
		{"down", "down", "TargetDown"},  // second: down
		{"down", "down", ""},            // same state: nothing
		{"wrong-version", "down", ""},   // still down (condition)
		{"up", "ok", "TargetRecovered"}, // recovered after one good run
		{"up", "ok", ""},                // nothing
		{"slow", "degraded", ""},        // one slow run
		{"slow", "degraded", "TargetDegraded"},
		{"up", "ok", "TargetRecovered"},
	}
	for i, st := range steps {
		target.status.Store(st.health)
		f.clock.now = t0.Add(time.Duration(i) * time.Hour)
		rep, err := f.r.Run(context.Background(), "run-"+string(rune('a'+i)), []probe.Target{tg})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		var got []string
		for _, a := range rep.Alerts {
			got = append(got, a.Type)
		}
		if rep.Status != st.wantStatus || strings.Join(got, ",") != st.wantAlerts {
			t.Fatalf("run %d (%s): status %s alerts %v, want %s %q", i, st.health, rep.Status, got, st.wantStatus, st.wantAlerts)
		}
	}
	if got := f.bus.types(); got != "TargetDown,TargetRecovered,TargetDegraded,TargetRecovered" {
		t.Fatalf("bus got %s", got)
	}
	for _, e := range f.bus.events {
		if e.Source != uptime.EventSource {
			t.Fatalf("source %q", e.Source)
		}
	}
	if len(f.notes.ins) != 4 || f.notes.ins[0].Severity != monitor.Critical || f.notes.ins[0].Category != monitor.Availability {
		t.Fatalf("incidents %+v", f.notes.ins)
	}
	// Every run's result is kept: 10 runs, 4 of them down (3 x 503 + wrong version).
	sums, err := f.r.Uptime(context.Background(), []string{"api"})
	if err != nil {
		t.Fatal(err)
	}
	w := sums[0].Windows[0]
	if w.Runs != 10 || w.DownSeconds != 4*3600 || len(sums[0].Incidents) != 1 || sums[0].Incidents[0].DurationSeconds != 4*3600 {
		t.Fatalf("uptime %+v incidents %+v", w, sums[0].Incidents)
	}
	// The day's roll-up and the incident the status page reads.
	days, err := f.r.Store.Days(context.Background(), "api", uptime.DayOf(t0), uptime.DayOf(t0))
	if err != nil || len(days) != 1 || days[0].Runs != 10 || days[0].Down != 4 || days[0].Degraded != 2 {
		t.Fatalf("days %+v, %v; want one day of 10 runs, 4 down, 2 degraded", days, err)
	}
	incs, err := f.r.Store.Incidents(context.Background(), "api", 20)
	if err != nil || len(incs) != 1 || !incs[0].Start.Equal(t0.Add(time.Hour)) || incs[0].Ongoing || incs[0].DurationSeconds != 4*3600 {
		t.Fatalf("incidents %+v, %v; want one of 4 h from the first failed run", incs, err)
	}
	// Metrics: one well-formed EMF line per target per run.
	lines := strings.Split(strings.TrimSpace(f.emf.String()), "\n")
	if len(lines) != len(steps) {
		t.Fatalf("%d EMF lines, want %d", len(lines), len(steps))
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("EMF line not JSON: %s", l)
		}
		if err := metrics.Check([]byte(l)); err != nil {
			t.Fatal(err)
		}
		aws, _ := rec["_aws"].(map[string]any)
		if aws == nil || rec["Target"] != "api" || rec["Service"] != "levqor" || rec["LatencyMs"] == nil || rec["Failure"] == nil {
			t.Fatalf("EMF line: %s", l)
		}
	}
}

// TestRunnerRecoversStateWithoutIncidentStart: a target down in a state
// saved before IncidentStart existed recovers into an incident closed from
// the state's Since, not from the zero time.
func TestRunnerRecoversStateWithoutIncidentStart(t *testing.T) {
	store := newStore(t)
	f := newFixture(t, store)
	target := newSwitchable(t)
	target.status.Store("up")
	down := uptime.State{Target: "api", Status: probe.Down, Since: t0, LastCheckedAt: t0.Add(time.Hour), Revision: 1}
	if err := store.Save(context.Background(), uptime.State{Target: "api"}, down); err != nil {
		t.Fatal(err)
	}
	f.clock.now = t0.Add(2 * time.Hour)
	if _, err := f.r.Run(context.Background(), "run-up", []probe.Target{targetFor(t, "api", target.srv.URL)}); err != nil {
		t.Fatal(err)
	}
	incs, err := store.Incidents(context.Background(), "api", 5)
	if err != nil || len(incs) != 1 || !incs[0].Start.Equal(t0) || incs[0].Ongoing {
		t.Fatalf("incidents %+v, %v; want one closed, from %v", incs, err, t0)
	}
}

// TestRunnerDuplicateDelivery delivers the same run twice (EventBridge or
// async Lambda redelivery): the state changes once, nothing is alerted
// twice, no second run record is kept.
func TestRunnerDuplicateDelivery(t *testing.T) {
	store := newStore(t)
	f := newFixture(t, store)
	f.r.Thresholds.DownAfter = 1
	target := newSwitchable(t)
	tg := targetFor(t, "api", target.srv.URL)
	ctx := context.Background()
	if _, err := f.r.Run(ctx, "evt-1", []probe.Target{tg}); err != nil {
		t.Fatal(err)
	}
	target.status.Store("down")
	f.clock.now = t0.Add(time.Hour)
	rep, err := f.r.Run(ctx, "evt-2", []probe.Target{tg})
	if err != nil || len(rep.Alerts) != 1 {
		t.Fatalf("first delivery: %v %+v", err, rep.Alerts)
	}
	before, _ := store.Load(ctx, "api")

	f.clock.now = t0.Add(time.Hour + 3*time.Minute) // the retry comes minutes later
	rep, err = f.r.Run(ctx, "evt-2", []probe.Target{tg})
	if err != nil || !rep.Duplicate || len(rep.Alerts) != 0 {
		t.Fatalf("redelivery: err %v duplicate %v alerts %+v", err, rep.Duplicate, rep.Alerts)
	}
	after, _ := store.Load(ctx, "api")
	if after.Revision != before.Revision || after.ConsecutiveFailures != 1 {
		t.Fatalf("state changed by redelivery: before %+v after %+v", before, after)
	}
	if f.bus.types() != "TargetDown" {
		t.Fatalf("bus %s", f.bus.types())
	}
	runs, _ := store.Runs(ctx, "api", t0.Add(-time.Hour), t0.Add(2*time.Hour))
	if len(runs) != 2 {
		t.Fatalf("%d run records, want 2", len(runs))
	}

	// A retry arriving after the next run (Lambda retries for up to hours
	// when throttled) is still recognised.
	f.clock.now = t0.Add(2 * time.Hour)
	if _, err := f.r.Run(ctx, "evt-3", []probe.Target{tg}); err != nil {
		t.Fatal(err)
	}
	mid, _ := store.Load(ctx, "api")
	f.clock.now = t0.Add(2*time.Hour + 5*time.Minute)
	rep, err = f.r.Run(ctx, "evt-2", []probe.Target{tg})
	if err != nil || !rep.Duplicate {
		t.Fatalf("late redelivery: %v duplicate=%v", err, rep.Duplicate)
	}
	if end, _ := store.Load(ctx, "api"); end.Revision != mid.Revision || end.ConsecutiveFailures != 2 {
		t.Fatalf("late redelivery changed state: %+v", end)
	}
}

// TestRunnerConcurrentDuplicates delivers one run several times at once:
// the conditional update lets exactly one change the state.
func TestRunnerConcurrentDuplicates(t *testing.T) {
	store := newStore(t)
	f := newFixture(t, store)
	f.r.Thresholds.DownAfter = 1
	target := newSwitchable(t)
	target.status.Store("down")
	tg := targetFor(t, "api", target.srv.URL)
	var wg sync.WaitGroup
	var dups atomic.Int32
	for range 4 {
		wg.Go(func() {
			rep, err := f.r.Run(context.Background(), "evt-x", []probe.Target{tg})
			if err != nil {
				t.Error(err)
			}
			if rep.Duplicate {
				dups.Add(1)
			}
		})
	}
	wg.Wait()
	st, _ := store.Load(context.Background(), "api")
	runs, _ := store.Runs(context.Background(), "api", t0.Add(-time.Hour), t0.Add(time.Hour))
	if len(st.RecentRunIDs) != 1 || st.ConsecutiveFailures != 1 || dups.Load() != 3 || len(runs) != 1 {
		t.Fatalf("state %+v, duplicates %d", st, dups.Load())
	}
	// At least once: a duplicate racing the first publication may publish
	// the pending alert again, but the state holds one change.
	if n := strings.Count(f.bus.types(), "TargetDown"); n < 1 {
		t.Fatalf("bus %s", f.bus.types())
	}
}

// TestRunnerConcurrentRuns: 8 different runs at once against DynamoDB
// Local (a hurried operator meeting the schedule) all succeed, every run's
// record is kept, and the state and alerts are those of 8 runs one after
// the other: 8 failures in a row, one TargetDown.
func TestRunnerConcurrentRuns(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			store := newStore(t)
			f := newFixture(t, store)
			target := newSwitchable(t)
			target.status.Store("down")
			tg := targetFor(t, "api", target.srv.URL)
			const n = 8
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					if _, err := f.r.Run(context.Background(), fmt.Sprintf("run-%d", i), []probe.Target{tg}); err != nil {
						t.Errorf("run %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			ctx := context.Background()
			st, err := store.Load(ctx, "api")
			if err != nil {
				t.Fatal(err)
			}
			runs, err := store.Runs(ctx, "api", t0.Add(-time.Hour), t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != n || st.ConsecutiveFailures != n || st.Status != probe.Down {
				t.Fatalf("%d run records, state %+v; want %d records and %d failures in a row", len(runs), st, n, n)
			}
			if got := strings.Count(f.bus.types(), "TargetDown"); got != 1 {
				t.Errorf("bus got %q, want one TargetDown", f.bus.types())
			}
		})
	}
}

// TestRunnerBusOutageKeepsAlertPending: when the bus is down the run fails
// (so Lambda retries it) and the alert stays pending; the redelivery
// publishes it; later runs do not repeat it.
func TestRunnerBusOutageKeepsAlertPending(t *testing.T) {
	store := newStore(t)
	f := newFixture(t, store)
	f.r.Thresholds.DownAfter = 1
	target := newSwitchable(t)
	target.status.Store("down")
	tg := targetFor(t, "api", target.srv.URL)
	ctx := context.Background()

	f.bus.fail.Store(true)
	if _, err := f.r.Run(ctx, "evt-1", []probe.Target{tg}); err == nil {
		t.Fatal("run with the bus down reported success")
	}
	if st, _ := store.Load(ctx, "api"); len(st.PendingAlerts) != 1 || st.Status != probe.Down {
		t.Fatalf("alert not kept pending: %+v", st)
	}
	f.bus.fail.Store(false)
	rep, err := f.r.Run(ctx, "evt-1", []probe.Target{tg})
	if err != nil || !rep.Duplicate || len(rep.Alerts) != 1 {
		t.Fatalf("redelivery: %v %+v", err, rep)
	}
	f.clock.now = t0.Add(time.Hour)
	if rep, err := f.r.Run(ctx, "evt-2", []probe.Target{tg}); err != nil || len(rep.Alerts) != 0 {
		t.Fatalf("next run: %v %+v", err, rep.Alerts)
	}
	if f.bus.types() != "TargetDown" {
		t.Fatalf("bus %s", f.bus.types())
	}
	if st, _ := store.Load(ctx, "api"); len(st.PendingAlerts) != 0 {
		t.Fatalf("pending not cleared: %+v", st)
	}
}

// TestRunnerHangingTarget: a target that never answers is reported down
// with a timeout, and the run still records it inside its deadline.
func TestRunnerHangingTarget(t *testing.T) {
	store := newStore(t)
	f := newFixture(t, store)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	good := newSwitchable(t)
	slow := targetFor(t, "hangs", hang.URL)
	slow.Timeout = 30 * time.Second // longer than the whole run: the deadline must cut it
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rep, err := f.r.Run(ctx, "evt-h", []probe.Target{slow, targetFor(t, "api", good.srv.URL)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("run used up its whole deadline")
	}
	if r := rep.Results[0]; r.Status != probe.Down || !strings.Contains(r.Error, "timeout") {
		t.Fatalf("hanging target: %+v", r)
	}
	if r := rep.Results[1]; r.Status != probe.Up {
		t.Fatalf("healthy target beside it: %+v", r)
	}
	if st, _ := store.Load(context.Background(), "hangs"); st.ConsecutiveFailures != 1 {
		t.Fatalf("hanging target not recorded: %+v", st)
	}
}

func TestMain(m *testing.M) { dynamolocal.Main(m) }

// t0 is the start of the runner tests: today's midnight (UTC), as DynamoDB
// Local applies the table's TTL to the real clock and would drop records
// written with a fixed date once it is 90 days past.
var t0 = time.Now().UTC().Truncate(24 * time.Hour)

// newStore returns the DynamoDB store on a fresh table in DynamoDB Local.
func newStore(t *testing.T) *dynamo.Uptime {
	t.Helper()
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	return &dynamo.Uptime{Client: client, Table: dynamolocal.Table(t, client)}
}

// flaky is a store whose first CloseIncident (or PutRun) fails, as when
// DynamoDB throttles between the state's write and the history's.
type flaky struct {
	uptime.Store
	failClose, failRun int
}

func (f *flaky) CloseIncident(ctx context.Context, target string, start, end time.Time) error {
	if f.failClose > 0 {
		f.failClose--
		return errors.New("throttled")
	}
	return f.Store.CloseIncident(ctx, target, start, end)
}

func (f *flaky) PutRun(ctx context.Context, r uptime.Run) error {
	if f.failRun > 0 {
		f.failRun--
		return errors.New("throttled")
	}
	return f.Store.PutRun(ctx, r)
}

// TestRunnerRetryReplaysHistory: a run whose history writes fail after
// its state was saved is retried (the same run id) and the retry makes
// them, so the incident closes and the run is counted once.
func TestRunnerRetryReplaysHistory(t *testing.T) {
	cases := []struct {
		name               string
		failClose, failRun int
	}{
		{"close fails once", 1, 0},
		{"run record fails once", 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &flaky{Store: newStore(t)}
			f := newFixture(t, store)
			target := newSwitchable(t)
			tg := targetFor(t, "api", target.srv.URL)
			run := func(i int, health, id string) error {
				target.status.Store(health)
				f.clock.now = t0.Add(time.Duration(i) * time.Hour)
				_, err := f.r.Run(context.Background(), id, []probe.Target{tg})
				return err
			}
			for i, h := range []string{"down", "down"} {
				if err := run(i, h, fmt.Sprintf("r%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			store.failClose, store.failRun = tc.failClose, tc.failRun
			if err := run(2, "up", "r2"); err == nil {
				t.Fatal("the recovery run's failed write was not reported (no retry would come)")
			}
			if err := run(3, "up", "r2"); err != nil { // the retry, an hour later at worst
				t.Fatalf("retry: %v", err)
			}
			incs, err := store.Incidents(context.Background(), "api", 5)
			if err != nil || len(incs) != 1 || incs[0].Ongoing || !incs[0].End.Equal(t0.Add(2*time.Hour)) {
				t.Fatalf("incidents %+v, %v; want one, closed at the recovery run", incs, err)
			}
			days, _ := store.Days(context.Background(), "api", uptime.DayOf(t0), uptime.DayOf(t0))
			runs, _ := store.Runs(context.Background(), "api", t0, t0.Add(4*time.Hour))
			if len(days) != 1 || days[0].Runs != 3 || len(runs) != 3 {
				t.Fatalf("days %+v runs %d; want 3 runs counted once each", days, len(runs))
			}
		})
	}
}

// runsOnly is a Store whose Runs answers from memory, side by side safe,
// and fails for the target named fail.
type runsOnly struct {
	uptime.Store
	fail string
}

var errRuns = errors.New("runs unavailable")

func (s *runsOnly) Runs(_ context.Context, target string, _, to time.Time) ([]uptime.Run, error) {
	if target == s.fail {
		return nil, errRuns
	}
	return []uptime.Run{{Target: target, CheckedAt: to.Add(-time.Hour), Status: probe.Up, RunID: "r"}}, nil
}

// TestUptimeReadsTargets: Uptime gives one summary per target in the
// order asked, however many it reads at once, and none when a read fails.
func TestUptimeReadsTargets(t *testing.T) {
	var names []string
	for i := range 3 * fanout.Limit {
		names = append(names, fmt.Sprintf("t%02d", i))
	}
	for _, tc := range []struct {
		name, fail string
		wantErr    error
	}{
		{"all read", "", nil},
		{"one fails", "t05", errRuns},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &runsOnly{fail: tc.fail}
			r := &uptime.Runner{Store: store, SLAPercent: 99.9, Now: func() time.Time { return t0 }}
			sums, err := r.Uptime(context.Background(), names)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if sums != nil {
					t.Errorf("summaries %+v with the error, want none", sums)
				}
				return
			}
			if len(sums) != len(names) {
				t.Fatalf("%d summaries for %d targets", len(sums), len(names))
			}
			for i, s := range sums {
				if s.Target != names[i] || s.Windows[0].Runs != 1 {
					t.Errorf("summary %d: %s with %d runs, want %s with 1", i, s.Target, s.Windows[0].Runs, names[i])
				}
			}
		})
	}
}
