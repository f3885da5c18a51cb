package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/e2e/stacktest"
	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/status"
	"github.com/levqor/serverless/shared/uptime"
)

// ArtifactsEnv names the folder the browser tests write screenshots to
// (default bin/artifacts under the module root).
const ArtifactsEnv = "LEVQOR_ARTIFACTS"

var statusTargets = []string{"api", "web", "docs", "billing", "auth"}

// seedStatus writes what 90 days of hourly keepalive runs leave for five
// public targets: states, the last day's runs, a roll-up per day (some
// days below the SLA) and one incident.
func seedStatus(t *testing.T, endpoint, table string, now time.Time) {
	t.Helper()
	s := &dynamo.Uptime{Client: dynamolocal.Client(t, endpoint), Table: table}
	ctx := context.Background()
	for i, name := range statusTargets {
		st := probe.Up
		if name == "billing" {
			st = probe.Degraded
		}
		prev, err := s.Load(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		next, _ := uptime.Advance(prev, probe.Result{Target: name, Status: st, LatencyMs: 120}, uptime.Thresholds{DegradedAfter: 1}, "seed", now)
		if err := s.Save(ctx, prev, next); err != nil {
			t.Fatal(err)
		}
		for h := 23; h >= 0; h-- {
			at := now.Add(-time.Duration(h) * time.Hour)
			if err := s.PutRun(ctx, uptime.Run{Target: name, CheckedAt: at, Status: probe.Up, LatencyMs: 120, RunID: fmt.Sprintf("seed-%d", h)}); err != nil {
				t.Fatal(err)
			}
		}
		for d := 0; d < status.DaysShown; d++ {
			day := uptime.Day{Date: uptime.DayOf(now.AddDate(0, 0, -d)), Runs: 24, LatencyMsSum: 24 * 120}
			switch (d*7 + i) % 23 {
			case 0:
				day.Down = 3 // 87.5 %: below 99 %
			case 5:
				day.Degraded = 2 // still up
			}
			if err := s.PutDay(ctx, name, day); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := now.AddDate(0, 0, -12)
	if err := s.OpenIncident(ctx, "web", start); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseIncident(ctx, "web", start, start.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// layout is what the page measures of itself in the browser.
type layout struct {
	Width     float64 `json:"width"`
	Overflow  bool    `json:"overflow"`
	Bars      int     `json:"bars"`
	Off       int     `json:"off"`
	Labelled  int     `json:"labelled"`
	Sections  int     `json:"sections"`
	FontPx    float64 `json:"fontPx"`
	HasScript bool    `json:"hasScript"`
}

const measure = `(() => {
	const w = document.documentElement.clientWidth;
	const bars = [...document.querySelectorAll("ol.bars li")];
	const off = bars.filter(b => { const r = b.getBoundingClientRect(); return r.width <= 0 || r.height <= 0 || r.left < 0 || r.right > w + 0.5; }).length;
	const labelled = bars.filter(b => b.title.length > 0 && b.textContent.trim().length > 0).length;
	return {width: w, overflow: document.documentElement.scrollWidth > w, bars: bars.length, off, labelled,
		sections: document.querySelectorAll("section").length,
		fontPx: parseFloat(getComputedStyle(document.body).fontSize),
		hasScript: document.querySelectorAll("script").length > 0};
})()`

// TestStatusPageInChromium seeds 90 days of history for five public
// targets, opens /status from the local stack at a desktop's and a phone's
// width, and checks that nothing overflows sideways and every one of the
// 450 bars is on screen and labelled; the screenshots are written to
// $LEVQOR_ARTIFACTS.
func TestStatusPageInChromium(t *testing.T) {
	browser := New(t)
	var cfg []map[string]any
	for _, n := range statusTargets {
		// Nothing listens on port 1: these targets are never checked here
		// (no schedules), only shown.
		cfg = append(cfg, map[string]any{"name": n, "url": "http://127.0.0.1:1/" + n, "public": true, "display_name": "Levqor " + n})
	}
	targets, _ := json.Marshal(cfg)
	s := stacktest.Start(t, stacktest.Build(t), "-param", "KeepaliveTargets="+string(targets), "-schedules=false", "-fire-at-start", "none")
	if s.DynamoDB() == "" {
		t.Fatal("the stack names no DynamoDB endpoint to seed")
	}
	seedStatus(t, s.DynamoDB(), s.Table, time.Now().UTC())
	dir := artifacts(t)
	for _, width := range []int64{1280, 390} {
		t.Run(fmt.Sprintf("%d px", width), func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browser)
			defer cancel()
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(s.URL+"/status"),
				chromedp.WaitReady("main"),
			)
			if err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](measure))
			if err != nil {
				t.Fatal(err)
			}
			want := len(statusTargets) * status.DaysShown
			switch {
			case got.Overflow:
				t.Errorf("the page is wider than the %.0f px viewport", got.Width)
			case got.Bars != want || got.Off != 0:
				t.Errorf("%d bars, %d of them off screen or empty; want %d, all on screen", got.Bars, got.Off, want)
			case got.Labelled != want:
				t.Errorf("%d of %d bars carry a date and figure as text", got.Labelled, want)
			case got.Sections != len(statusTargets) || got.HasScript || got.FontPx < 14:
				t.Errorf("layout %+v", got)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, fmt.Sprintf("status-%d.png", width))
			if err := os.WriteFile(p, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", p)
		})
	}
}

// artifacts returns the folder for the test's screenshots, made if need be.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		root, err := samtemplate.FindModuleRoot(".")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "bin", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
