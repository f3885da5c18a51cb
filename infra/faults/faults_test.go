package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/invoke"
	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/infra/testutil"
)

// functionTimeout is the tickets function's Timeout in template.yaml; no
// answer may take longer (API Gateway would give up at 30 s).
const functionTimeout = 10 * time.Second

// TestDynamoDBKilled: DynamoDB Local is killed during a stream of ticket
// requests and restarted. Every answer is 201 or a 503 problem with
// Retry-After, none hangs past the function timeout, the service recovers
// without restarting any function, and every 201 ticket is in the table.
func TestDynamoDBKilled(t *testing.T) {
	s := newStack(t)
	const workers = 4
	var (
		mu      sync.Mutex
		answers []answer
		phase   = "before" // before, down, after
		phases  []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := s.createTicket(w*100000 + i)
				mu.Lock()
				answers = append(answers, a)
				phases = append(phases, phase)
				mu.Unlock()
			}
		})
	}
	// One more client sends keyed requests, retrying each key until it is
	// created: whatever DynamoDB does, a key must never make two tickets.
	keyed := map[int][]string{} // key number -> ticket ids answered 201
	wg.Go(func() {
		for j := 0; ; j++ {
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := s.createKeyed(fmt.Sprintf("fault-key-%d", j), j)
				if a.Status == 201 {
					mu.Lock()
					keyed[j] = append(keyed[j], ticketID(a))
					mu.Unlock()
					if len(keyed[j]) == 2 { // asked twice after success: the replay
						break
					}
					continue
				}
				if a.Err == nil && a.Status != 503 {
					t.Errorf("keyed request: %d %s", a.Status, a.Body)
				}
			}
		}
	})
	setPhase := func(p string) { mu.Lock(); phase = p; mu.Unlock() }
	count := func(p string, status int) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for i, a := range answers {
			if phases[i] == p && a.Status == status {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, d time.Duration, ok func() bool) {
		deadline := time.Now().Add(d)
		for !ok() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("tickets before the kill", 30*time.Second, func() bool { return count("before", 201) >= 10 })
	s.KillDynamoDB(t)
	setPhase("down")
	waitFor("503s while DynamoDB is down", 30*time.Second, func() bool { return count("down", 503) >= 8 })
	s.RestartDynamoDB(t)
	setPhase("after")
	waitFor("tickets after the restart", 60*time.Second, func() bool { return count("after", 201) >= 20 })
	close(stop)
	wg.Wait()

	seen := map[int]int{}
	var created []string
	for _, a := range answers {
		if a.Err != nil {
			t.Errorf("transport error after %v: %v", a.Took, a.Err)
			continue
		}
		seen[a.Status]++
		if a.Took >= functionTimeout {
			t.Errorf("answer %d took %v, past the %v function timeout", a.Status, a.Took, functionTimeout)
		}
		switch a.Status {
		case 201:
			id := ticketID(a)
			if id == "" {
				t.Errorf("201 without ticket_id: %s", a.Body)
			}
			created = append(created, id)
		case 503:
			checkUnavailable(t, a)
		default:
			t.Errorf("status %d (want only 201 or 503): %s", a.Status, a.Body)
		}
	}
	missing := 0
	for _, id := range created {
		if !s.stored(t, id) {
			missing++
			t.Errorf("ticket %s was answered 201 but is not in the table", id)
		}
	}
	for j, ids := range keyed {
		if len(ids) == 2 && ids[0] != ids[1] {
			t.Errorf("key %d answered two tickets: %v", j, ids)
		}
		if n := s.ticketsWithSubject(t, fmt.Sprintf("Keyed %d", j)); n != 1 {
			t.Errorf("key %d: %d tickets stored, want exactly 1", j, n)
		}
		if !s.stored(t, ids[0]) {
			t.Errorf("keyed ticket %s was answered 201 but is not in the table", ids[0])
		}
	}
	t.Logf("%d keys created through the outage", len(keyed))
	inits := noCrashes(t, s, "TicketsFunction")
	if inits == 0 {
		t.Errorf("no TicketsFunction REPORT line with an Init Duration in the stack's output: cannot tell whether functions were restarted")
	}
	if inits > workers {
		t.Errorf("%d tickets environments ran init for %d concurrent clients: functions were restarted", inits, workers)
	}
	t.Logf("answers by status %v; %d tickets created, %d missing from the table; tickets environments started: %d", seen, len(created), missing, inits)
}

// TestDynamoDBSlow: with DynamoDB answering after 20 s, the function's own
// SDK deadlines fire and it answers 503 well before its 10 s timeout (and
// API Gateway's 30 s); health's deep check degrades the same way; with the
// latency gone both recover.
func TestDynamoDBSlow(t *testing.T) {
	s := newStack(t)
	if a := s.createTicket(1); a.Status != 201 {
		t.Fatalf("warm-up ticket: %d %s", a.Status, a.Body)
	}
	s.Proxy.SetLatency(20 * time.Second)
	for i := range 3 {
		a := s.createTicket(100 + i)
		if a.Err != nil {
			t.Fatal(a.Err)
		}
		checkUnavailable(t, a)
		if a.Took >= functionTimeout {
			t.Errorf("slow DynamoDB: answered after %v, not before the %v function timeout", a.Took, functionTimeout)
		}
		t.Logf("ticket with DynamoDB slowed by 20s: %d after %v", a.Status, a.Took.Round(time.Millisecond))
	}
	deep := s.do(http.MethodGet, "/health?deep=1", "", nil)
	if deep.Err != nil || deep.Status != 503 || deep.Took >= functionTimeout {
		t.Errorf("deep health with DynamoDB slowed: %d after %v (%v): %s", deep.Status, deep.Took, deep.Err, deep.Body)
	}
	t.Logf("deep health with DynamoDB slowed by 20s: %d after %v", deep.Status, deep.Took.Round(time.Millisecond))
	// A keyed request while DynamoDB is slow answers 503 (its transaction
	// may still land late); the client's retry after recovery gets one
	// ticket, never a second.
	if a := s.createKeyed("slow-key", 7); a.Err != nil || a.Status != 503 {
		t.Errorf("keyed request with DynamoDB slowed: %d %v", a.Status, a.Err)
	}
	s.Proxy.SetLatency(0)
	if a := s.createTicket(2); a.Status != 201 {
		t.Errorf("after the latency is gone: %d %s", a.Status, a.Body)
	}
	time.Sleep(2 * time.Second) // let a late transaction land, if it does
	first := s.createKeyed("slow-key", 7)
	again := s.createKeyed("slow-key", 7)
	if first.Status != 201 || again.Status != 201 || ticketID(first) != ticketID(again) {
		t.Errorf("keyed retries after recovery: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	if n := s.ticketsWithSubject(t, "Keyed 7"); n != 1 {
		t.Errorf("slow-key made %d tickets, want exactly 1", n)
	}
	noCrashes(t, s, "TicketsFunction")
}

// TestEventBusFailing: with every PutEvents failing, tickets are still
// created (201, in the table); once the bus recovers, each one's
// TicketCreated arrives (the stream path retries).
func TestEventBusFailing(t *testing.T) {
	s := newStack(t, "-bus-fail", "all")
	var ids []string
	for i := range 5 {
		a := s.createTicket(i)
		if a.Status != 201 {
			t.Fatalf("ticket with the bus failing: %d %s", a.Status, a.Body)
		}
		ids = append(ids, ticketID(a))
	}
	for _, id := range ids {
		if !s.stored(t, id) {
			t.Errorf("ticket %s not stored", id)
		}
	}
	time.Sleep(2 * time.Second) // let the stream try, and fail, to publish
	if got := s.ticketEvents(t); len(got) != 0 {
		t.Fatalf("events accepted while the bus fails: %v", got)
	}
	if a := s.do(http.MethodPost, "/_local/bus?fail=false", "", nil); a.Status != 200 {
		t.Fatalf("recovering the bus: %d %s", a.Status, a.Body)
	}
	recovered := time.Now()
	deadline := recovered.Add(120 * time.Second)
	for {
		got := s.ticketEvents(t)
		missing := 0
		for _, id := range ids {
			if got[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			for _, id := range ids {
				if got[id] != 1 {
					t.Logf("ticket %s: TicketCreated delivered %d times (at-least-once)", id, got[id])
				}
			}
			t.Logf("all %d TicketCreated events arrived %v after the bus recovered", len(ids), time.Since(recovered).Round(10*time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d TicketCreated events missing 120s after the bus recovered: %v", missing, len(ids), got)
		}
		time.Sleep(500 * time.Millisecond)
	}
	noCrashes(t, s, "TicketsFunction")
}

// ticketEvents counts the TicketCreated events the local bus accepted, by ticket id.
func (s *stack) ticketEvents(t *testing.T) map[string]int {
	t.Helper()
	a := s.do(http.MethodGet, "/_local/bus/events", "", nil)
	if a.Status != 200 {
		t.Fatalf("bus events: %d %s", a.Status, a.Body)
	}
	var evs []struct {
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(a.Body, &evs); err != nil {
		t.Fatalf("bus events: %v: %s", err, a.Body)
	}
	out := map[string]int{}
	for _, e := range evs {
		if e.DetailType != "TicketCreated" {
			continue
		}
		var d struct {
			TicketID string `json:"ticket_id"`
		}
		json.Unmarshal(e.Detail, &d)
		out[d.TicketID]++
	}
	return out
}

// TestLogsThroughStack: a ticket whose body, subject and email carry marker
// strings and CRLF, sent through the gateway to the real binary: the markers
// never reach the function's log output and each record is one JSON line.
func TestLogsThroughStack(t *testing.T) {
	s := newStack(t)
	body := `{"subject":"SUBJ-MARK-5521","body":"BODY-MARK-5521\r\n{\"level\":\"error\",\"message\":\"forged\"}\r\nend","email":"MAIL-MARK-5521@example.com","tier":"growth"}`
	a := s.do(http.MethodPost, "/api/support/tickets", body, map[string]string{"Authorization": "Bearer TOKEN-MARK-5521"})
	if a.Status != 201 {
		t.Fatalf("ticket: %d %s", a.Status, a.Body)
	}
	time.Sleep(500 * time.Millisecond) // the stream invocation logs too
	out := s.Log()
	for _, m := range []string{"SUBJ-MARK-5521", "BODY-MARK-5521", "MAIL-MARK-5521", "TOKEN-MARK-5521", "forged"} {
		if strings.Contains(out, m) {
			t.Errorf("log output contains %s", m)
		}
	}
	records := 0
	for _, l := range strings.Split(out, "\n") {
		i := strings.Index(l, "{")
		if i < 0 || !strings.Contains(l, "TicketsFunction") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l[i:]), &rec); err != nil {
			t.Errorf("tickets log line is not one JSON record: %q", l)
			continue
		}
		records++
	}
	if records == 0 {
		t.Errorf("no tickets log records found in:\n%s", tail(out, 4<<10))
	}
}

// TestKeepaliveTargetHanging: the keepalive binary, run under the runtime
// interface emulator with a 15 s timeout, checks a target that accepts
// connections and never answers: the run still completes before the
// deadline and reports the target down.
func TestKeepaliveTargetHanging(t *testing.T) {
	binDir, _ := built(t)
	hang := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer target.Close()
	defer close(hang)
	bus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{"FailedEntryCount":0,"Entries":[{"EventId":"1"},{"EventId":"2"},{"EventId":"3"}]}`))
	}))
	defer bus.Close()

	ep := dynamolocal.Endpoint(t)
	db := dynamolocal.Client(t, ep)
	table := dynamolocal.Table(t, db)
	tpl, err := samtemplate.Load(filepath.Join(repoRoot, "template.yaml"), samtemplate.Options{Overrides: samtemplate.LocalOverrides(table)})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_FUNCTION_NAME=levqor-faults-keepalive", "AWS_LAMBDA_FUNCTION_TIMEOUT=15",
		"AWS_REGION=eu-west-2", "AWS_ACCESS_KEY_ID=faults", "AWS_SECRET_ACCESS_KEY=faults", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_DYNAMODB=" + ep, "AWS_ENDPOINT_URL_EVENTBRIDGE=" + bus.URL, "AWS_ENDPOINT_URL_LAMBDA=" + bus.URL,
	}
	for _, fn := range tpl.Functions {
		if fn.Dir == "keepalive" {
			for k, v := range fn.Env {
				if k != "KEEPALIVE_TARGETS" {
					env = append(env, k+"="+v)
				}
			}
		}
	}
	env = append(env, `KEEPALIVE_TARGETS=[{"name":"hanging","url":"`+target.URL+`/health"}]`, "WARMUP_ENABLED=false")
	rie, err := invoke.RIE(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var out testutil.SyncBuffer
	em, err := invoke.Start(context.Background(), invoke.Options{RIE: rie, Bootstrap: filepath.Join(binDir, "keepalive", "bootstrap"), Env: env, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Stop()

	const budget = 15 * time.Second // the emulator's deadline for the run
	ctx, cancel := context.WithTimeout(context.Background(), budget+5*time.Second)
	defer cancel()
	t0 := time.Now()
	rep, err := em.Invoke(ctx, []byte(`{"source":"levqor.schedule","api_url":"`+target.URL+`"}`))
	took := time.Since(t0)
	if err != nil || took >= budget {
		t.Fatalf("keepalive run with a hanging target: %v after %v\n%s", err, took, out.String())
	}
	var report struct {
		Status  string `json:"status"`
		Results []struct {
			Target   string `json:"target"`
			OK       bool   `json:"ok"`
			Attempts int    `json:"attempts"`
		} `json:"results"`
	}
	if err := json.Unmarshal(rep, &report); err != nil {
		t.Fatalf("report %s: %v", rep, err)
	}
	if report.Status == "ok" || len(report.Results) != 1 || report.Results[0].OK {
		t.Errorf("report with a hanging target: %s", rep)
	}
	t.Logf("keepalive run with a hanging target completed in %v of its %v deadline: %s", took.Round(time.Millisecond), budget, rep)
}
