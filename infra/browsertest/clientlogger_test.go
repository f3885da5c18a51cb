package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/levqor/serverless/infra/e2e/stacktest"
)

// page is a site page that includes the logger from the local API and
// logs to endpoint; after its script has run, #status reads "ready", and
// the button still counts clicks whatever the logger is doing.
const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>logger test</title></head>
<body><p id="status">loading</p><button id="b" onclick="this.dataset.n = (+(this.dataset.n || 0) + 1)">count</button>
<script type="module">
import { init, warn, flush } from "%[1]s/client-logger.js";
init({ endpoint: "%[2]s", release: "browsertest", batchSize: 50, flushInterval: 60000 });
warn("signed in as jane.doe@example.com with Authorization: Bearer abcDEF123456789xyz");
setTimeout(() => { throw new Error("browsertest boom"); }, 0);
Promise.reject(new Error("browsertest rejected"));
setTimeout(() => { document.getElementById("status").textContent = "ready"; }, 50);
window.flushLogs = flush;
</script></body></html>`

// events is what the page said in the browser's console and as uncaught
// exceptions.
type events struct {
	mu         sync.Mutex
	console    []string
	exceptions []string
}

func (e *events) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			e.console = append(e.console, string(ev.Type)+": "+strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			e.exceptions = append(e.exceptions, text+" @"+d.URL)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serveSite serves the test pages on an origin of their own (the local API
// allows it as a CORS origin, as the real API allows levqor.ai).
func serveSite(t *testing.T) (origin string, set func(path, html string)) {
	t.Helper()
	var mu sync.Mutex
	pages := map[string]string{"/next": "<!doctype html><title>next</title><p>next page</p>"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		html, ok := pages[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), func(path, html string) {
		mu.Lock()
		pages[path] = html
		mu.Unlock()
	}
}

var clientLine = regexp.MustCompile(`"source":"client"`)

// TestClientLoggerInChromium: a page that includes the logger throws,
// rejects a promise and logs a line holding an address and a bearer token,
// then navigates away; the records arrive in the clientlogs function's log
// lines, scrubbed. A page whose ingest route is down keeps working, and the
// logger raises nothing of its own in either.
func TestClientLoggerInChromium(t *testing.T) {
	browser := New(t)
	site, setPage := serveSite(t)
	s := stacktest.Start(t, stacktest.Build(t), "-cors-origin", site, "-fire-at-start", "none")

	t.Run("records arrive scrubbed", func(t *testing.T) {
		setPage("/up", fmt.Sprintf(page, s.URL, s.URL+"/api/client-logs"))
		ctx, cancel := chromedp.NewContext(browser)
		defer cancel()
		var ev events
		ev.listen(t, ctx)
		from := s.Len()
		err := chromedp.Do(ctx,
			chromedp.Navigate(site+"/up"),
			chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent === "ready"`, chromedp.WithPollingTimeout(10*time.Second)),
			// Leaving the page is what sends the batch (pagehide → sendBeacon).
			chromedp.Navigate(site+"/next"),
		)
		if err != nil {
			t.Fatalf("browser: %v\nconsole %v\nexceptions %v", err, ev.console, ev.exceptions)
		}
		records := waitForRecords(t, s, from, 3)
		out := strings.Join(s.Lines(from), "\n")
		for _, leak := range []string{"jane.doe@example.com", "abcDEF123456789xyz"} {
			if strings.Contains(out, leak) {
				t.Errorf("the function logged %q:\n%s", leak, out)
			}
		}
		want := map[string]string{
			"Error: browsertest boom":                                 "error",
			"Error: browsertest rejected":                             "error",
			"signed in as [email] with Authorization: Bearer [token]": "warn",
		}
		for _, r := range records {
			msg, _ := r["client_message"].(string)
			if lvl, ok := want[msg]; !ok || !strings.EqualFold(lvl, r["level"].(string)) {
				t.Errorf("unexpected record %v", r)
				continue
			}
			delete(want, msg)
			if r["release"] != "browsertest" || !strings.HasPrefix(r["page_url"].(string), site+"/up") || len(r["fingerprint"].(string)) != 16 {
				t.Errorf("record %v", r)
			}
		}
		if len(want) > 0 {
			t.Errorf("records missing: %v", want)
		}
		ev.checkOwnErrors(t)
	})

	t.Run("ingest down: the page keeps working", func(t *testing.T) {
		dead, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		deadURL := "http://" + dead.Addr().String() + "/api/client-logs"
		dead.Close() // nothing listens there now
		setPage("/down", fmt.Sprintf(page, s.URL, deadURL))
		ctx, cancel := chromedp.NewContext(browser)
		defer cancel()
		var ev events
		ev.listen(t, ctx)
		err = chromedp.Do(ctx,
			chromedp.Navigate(site+"/down"),
			chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent === "ready"`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		// Two sends to the dead route, then the page is used as before.
		n, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
			window.flushLogs(); window.flushLogs();
			await new Promise(r => setTimeout(r, 500));
			const b = document.getElementById("b"); b.click(); b.click();
			return b.dataset.n;
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(site+"/next"), chromedp.Sleep(500*time.Millisecond)); err != nil {
			t.Fatalf("browser: %v", err)
		}
		if n != "2" {
			t.Errorf("button counted %q clicks, want 2", n)
		}
		ev.checkOwnErrors(t)
	})
}

// checkOwnErrors fails on anything the logger itself raised: a console
// call (the page makes none) or an exception other than the page's two.
func (e *events) checkOwnErrors(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Logf("the page's own exceptions: %q", e.exceptions)
	if len(e.console) > 0 {
		t.Errorf("console messages: %v", e.console)
	}
	for _, x := range e.exceptions {
		if !strings.Contains(x, "browsertest boom") && !strings.Contains(x, "browsertest rejected") || strings.Contains(x, "client-logger") {
			t.Errorf("exception not thrown by the page: %s", x)
		}
	}
}

// waitForRecords waits until n client records are in the stack's output
// after line from and returns them decoded.
func waitForRecords(t *testing.T, s *stacktest.Stack, from, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var recs []map[string]any
		for _, line := range s.Lines(from) {
			if !clientLine.MatchString(line) {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line[strings.IndexByte(line, '{'):]), &m); err != nil {
				t.Fatalf("client line is not JSON: %s", line)
			}
			recs = append(recs, m)
		}
		if len(recs) >= n || time.Now().After(deadline) {
			if len(recs) < n {
				t.Fatalf("%d client records in the function's logs, want %d; the stack's output:\n%s", len(recs), n, s.Tail(40))
			}
			return recs
		}
		s.WaitFor(clientLine, s.Len(), time.Until(deadline)) // the loop checks what came
	}
}
