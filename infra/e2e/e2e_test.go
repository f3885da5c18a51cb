package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/contract"
	"github.com/levqor/serverless/infra/e2e/stacktest"
	"github.com/levqor/serverless/infra/smoke/check"
)

// TestLocalStack runs the whole local stack (`make dev` on free ports) with
// the real function binaries and drives it over HTTP the way a person with
// curl would: the seed's verification commands, API Gateway's own answers,
// bad ticket requests, the keepalive schedule, events on the bus, overlapping
// requests, a failing bus, and Ctrl-C.
func TestLocalStack(t *testing.T) {
	bins := stacktest.Build(t)
	s := stacktest.Start(t, bins, "-read-timeout", "2s")
	// No redirects followed: the gateway must answer every path itself.
	// Every exchange is recorded and checked against the OpenAPI document
	// at the end.
	api, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	rec := &contract.Recorder{}
	client := &http.Client{Transport: rec, Timeout: 40 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	url := s.URL
	fail := func(t *testing.T, format string, args ...any) {
		t.Helper()
		t.Errorf(format+"\nlast lines of the stack's output:\n%s", append(args, s.Tail(25))...)
	}

	t.Run("seed: GET /health", func(t *testing.T) {
		if _, err := check.Health(client, url); err != nil {
			fail(t, "%v", err)
		}
	})

	t.Run("HEAD /health", func(t *testing.T) {
		a, err := check.Do(client, http.MethodHead, url+"/health", "", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != http.StatusOK || len(a.Body) != 0 || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
			fail(t, "HEAD /health: %d %q body %q; want 200 application/json with no body", a.Status, a.Header.Get("Content-Type"), a.Body)
		}
	})

	var seedTicket string
	t.Run("seed: the frontend client logger loads", func(t *testing.T) {
		if _, err := check.ClientLogger(client, url); err != nil {
			fail(t, "%v", err)
		}
	})

	t.Run("the OpenAPI document", func(t *testing.T) {
		if _, err := check.OpenAPI(client, url); err != nil {
			fail(t, "%v", err)
		}
	})

	t.Run("the status page", func(t *testing.T) {
		if _, err := check.StatusPage(client, url); err != nil {
			fail(t, "%v", err)
		}
	})

	t.Run("seed: POST /api/support/tickets", func(t *testing.T) {
		doc, err := check.Ticket(client, url)
		if err != nil {
			fail(t, "%v", err)
			return
		}
		seedTicket, _ = doc["ticket_id"].(string)
	})

	t.Run("API Gateway answers unknown routes", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{
			{"GET", "/"}, {"GET", "/api/nope"}, {"DELETE", "/health"}, {"GET", "/api/support/tickets"}, {"POST", "/health"},
			// Unclean paths are matched as sent, as API Gateway does: no
			// redirect to a cleaned path.
			{"GET", "//health"}, {"GET", "/./health"}, {"POST", "//api/support/tickets"}, {"POST", "/./api/support/tickets"},
			{"POST", "/api//support/tickets"},
		} {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				a, err := check.Do(client, r.method, url+r.path, "", nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if a.Status != http.StatusNotFound || string(a.Body) != `{"message":"Not Found"}` || a.Header.Get("Apigw-Requestid") == "" {
					t.Errorf("got %d %s, want API Gateway's 404 {\"message\":\"Not Found\"}", a.Status, a.Body)
				}
			})
		}
	})

	t.Run("access log leaves the query string out", func(t *testing.T) {
		from := s.Len()
		a, err := check.Do(client, http.MethodGet, url+"/health?token=sekrit-token-value", "", nil, nil)
		if err != nil || a.Status != http.StatusOK {
			t.Fatalf("%v %v", a, err)
		}
		if _, ok := s.WaitFor(regexp.MustCompile(`\[HttpApi\] GET /health 200`), from, 10*time.Second); !ok {
			fail(t, "no access log line for GET /health")
		}
		for _, l := range s.Lines(from) {
			if strings.Contains(l, "sekrit-token-value") {
				fail(t, "a log line holds the query string: %s", l)
			}
		}
	})

	t.Run("a body that never finishes is cut off", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "POST /api/support/tickets HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"subj")
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		start := time.Now()
		_, err = io.ReadAll(conn) // an answer, then the close; or the close alone
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			fail(t, "the connection was still held after %v", time.Since(start))
		}
	})

	t.Run("CORS preflight answered by the gateway", func(t *testing.T) {
		a, err := check.Do(client, http.MethodOptions, url+"/api/support/tickets", "", nil,
			map[string]string{"Origin": "https://levqor.ai", "Access-Control-Request-Method": "POST"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != http.StatusNoContent || a.Header.Get("Access-Control-Allow-Origin") != "https://levqor.ai" ||
			!strings.Contains(a.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("preflight: %d %v; want 204 allowing https://levqor.ai to POST (template CorsConfiguration)", a.Status, a.Header)
		}
	})

	t.Run("bad ticket requests get a 4xx problem, never a 5xx", func(t *testing.T) {
		valid := func(mod func(map[string]any)) []byte {
			m := map[string]any{"subject": "Test", "body": "Test ticket", "tier": "growth"}
			mod(m)
			b, _ := json.Marshal(m)
			return b
		}
		tests := []struct {
			name        string
			contentType string
			body        []byte
			want        int
		}{
			{"bad JSON", "application/json", []byte(`{"subject":"Test",`), 400},
			{"unknown tier", "application/json", valid(func(m map[string]any) { m["tier"] = "platinum" }), 400},
			{"missing subject", "application/json", valid(func(m map[string]any) { delete(m, "subject") }), 400},
			{"empty subject", "application/json", valid(func(m map[string]any) { m["subject"] = "" }), 400},
			{"subject too long", "application/json", valid(func(m map[string]any) { m["subject"] = strings.Repeat("s", 201) }), 400},
			{"missing body", "application/json", valid(func(m map[string]any) { delete(m, "body") }), 400},
			{"body text too long", "application/json", valid(func(m map[string]any) { m["body"] = strings.Repeat("b", 10_001) }), 400},
			{"invalid email", "application/json", valid(func(m map[string]any) { m["email"] = "not-an-email" }), 400},
			{"subject not a string", "application/json", []byte(`{"subject":42,"body":"Test ticket","tier":"growth"}`), 400},
			{"control character in subject", "application/json", valid(func(m map[string]any) { m["subject"] = "Te\u0007st" }), 400},
			{"unknown field", "application/json", valid(func(m map[string]any) { m["priority"] = "urgent" }), 400},
			{"key differing only in case", "application/json", []byte(`{"subject":"Test","body":"Test ticket","TIER":"agency"}`), 400},
			{"duplicate key", "application/json", []byte(`{"subject":"Test","body":"Test ticket","tier":"growth","tier":"agency"}`), 400},
			{"trailing data", "application/json", []byte(`{"subject":"Test","body":"Test ticket","tier":"growth"} {}`), 400},
			{"array instead of object", "application/json", []byte(`[{"subject":"Test","body":"Test ticket"}]`), 400},
			{"not UTF-8", "application/json", []byte("{\"subject\":\"Te\xffst\",\"body\":\"Test ticket\",\"tier\":\"growth\"}"), 400},
			{"empty body", "application/json", nil, 400},
			{"body over 64 KiB", "application/json", valid(func(m map[string]any) { m["body"] = strings.Repeat("x", 70*1024) }), 413},
			{"wrong content type", "text/plain", valid(func(map[string]any) {}), 415},
			{"form post (arrives base64-encoded)", "application/x-www-form-urlencoded", []byte("subject=Test&body=Test+ticket"), 415},
			{"no content type (arrives base64-encoded)", "", valid(func(map[string]any) {}), 415},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a, err := check.Do(client, http.MethodPost, url+"/api/support/tickets", tc.contentType, tc.body, nil)
				if err != nil {
					t.Fatal(err)
				}
				if a.Status >= 500 {
					fail(t, "answered %d (a 5xx) for a bad request: %s", a.Status, a.Body)
					return
				}
				if _, err := check.Problem(a, tc.want); err != nil {
					t.Errorf("%v", err)
				}
			})
		}
	})

	t.Run("keepalive fired at start and printed its result", func(t *testing.T) {
		m, ok := s.WaitFor(regexp.MustCompile(`^\[schedule [^\]]*keepalive[^\]]*\] KeepaliveFunction result: (\{.*\})$`), 0, 30*time.Second)
		if !ok {
			fail(t, "no keepalive result printed")
			return
		}
		var res struct {
			Status  string `json:"status"`
			Results []struct {
				Target     string `json:"target"`
				OK         bool   `json:"ok"`
				StatusCode int    `json:"status_code"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(m[1]), &res); err != nil || res.Status != "ok" || len(res.Results) == 0 || !res.Results[0].OK || res.Results[0].StatusCode != 200 {
			t.Errorf("keepalive result %s: want status ok with the local /health answering 200 (%v)", m[1], err)
		}
	})

	t.Run("TicketCreated printed on the bus", func(t *testing.T) {
		if seedTicket == "" {
			t.Skip("no ticket was created (see the seed ticket subtest)")
		}
		if _, ok := s.WaitFor(busEvent("TicketCreated", seedTicket), 0, 20*time.Second); !ok {
			fail(t, "no TicketCreated event naming %s on the bus", seedTicket)
		}
	})

	t.Run("overlapping requests", func(t *testing.T) {
		t.Run("20 distinct tickets at once", func(t *testing.T) {
			answers := parallel(20, func(int) (*check.Answer, error) {
				return check.Do(client, http.MethodPost, url+"/api/support/tickets", "application/json", []byte(check.SeedTicket), nil)
			})
			ids := map[string]bool{}
			for _, a := range answers {
				if a.err != nil || a.Status != http.StatusCreated {
					fail(t, "answer %v %d %s", a.err, a.status(), a.body())
					return
				}
				var doc struct {
					TicketID string `json:"ticket_id"`
				}
				_ = json.Unmarshal(a.Body, &doc)
				ids[doc.TicketID] = true
			}
			if len(ids) != 20 {
				t.Errorf("%d distinct ticket ids for 20 requests", len(ids))
			}
		})
		t.Run("50 at once with one Idempotency-Key", func(t *testing.T) {
			key := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
			answers := parallel(50, func(int) (*check.Answer, error) {
				return check.Do(client, http.MethodPost, url+"/api/support/tickets", "application/json", []byte(check.SeedTicket), map[string]string{"Idempotency-Key": key})
			})
			var created []string
			for _, a := range answers {
				switch {
				case a.err != nil:
					t.Fatalf("transport error: %v", a.err)
				case a.Status == http.StatusCreated:
					created = append(created, string(a.Body))
				case a.Status == http.StatusConflict:
					if _, err := check.Problem(a.Answer, http.StatusConflict); err != nil {
						t.Errorf("409: %v", err)
					}
				default:
					fail(t, "answered %d %s; want 201 or 409", a.Status, a.Body)
					return
				}
			}
			if len(created) == 0 {
				t.Fatal("no request was answered 201")
			}
			for _, b := range created[1:] {
				if !sameTicket(b, created[0]) {
					t.Errorf("201 answers differ:\n%s\n%s", created[0], b)
					break
				}
			}
		})
	})

	t.Run("bus down: tickets acknowledged, each event delivered once when it recovers", func(t *testing.T) {
		setBus := func(mode string) {
			a, err := check.Do(client, http.MethodPost, url+"/_local/bus?fail="+mode, "", nil, nil)
			if err != nil || a.Status != http.StatusOK {
				t.Fatalf("POST /_local/bus?fail=%s: %v %v", mode, err, a)
			}
		}
		setBus("true")
		defer setBus("false")
		mark := s.Len()
		var ids []string
		for range 3 {
			doc, err := check.Ticket(client, url)
			if err != nil {
				fail(t, "ticket while the bus fails: %v", err)
				return
			}
			ids = append(ids, doc["ticket_id"].(string))
		}
		time.Sleep(2 * time.Second)
		for _, id := range ids {
			if _, ok := s.WaitFor(busEvent("TicketCreated", id), mark, 0); ok {
				t.Fatalf("TicketCreated for %s printed while the bus was failing", id)
			}
		}
		setBus("false")
		for _, id := range ids {
			if _, ok := s.WaitFor(busEvent("TicketCreated", id), mark, 30*time.Second); !ok {
				fail(t, "TicketCreated for %s never arrived after the bus recovered", id)
				return
			}
		}
		time.Sleep(2 * time.Second)
		for _, id := range ids {
			n := 0
			for _, l := range s.Lines(mark) {
				if busEvent("TicketCreated", id).MatchString(l) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("TicketCreated for %s printed %d times, want exactly once", id, n)
			}
		}
	})

	t.Run("every exchange keeps to the OpenAPI document", func(t *testing.T) {
		checked, other := 0, map[string]int{}
		for _, x := range rec.Exchanges() {
			err := api.Check(x)
			if errors.Is(err, contract.ErrNoRoute) {
				other[x.Method+" "+x.Path]++ // API Gateway's own answer to a route the API does not have
				continue
			}
			checked++
			if err != nil {
				t.Errorf("%v\nrequest body: %.300s\nresponse body: %.300s", err, x.Body, x.RespBody)
			}
		}
		if checked < 20 {
			t.Errorf("only %d exchanges checked", checked)
		}
		t.Logf("%d exchanges checked against the document; not API routes: %v", checked, other)
	})

	t.Run("Ctrl-C stops every process", func(t *testing.T) {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
}

// busEvent matches a printed bus event of detailType that mentions text.
func busEvent(detailType, text string) *regexp.Regexp {
	return regexp.MustCompile(`^\[EventBus\] \{.*"detail-type":"` + regexp.QuoteMeta(detailType) + `".*` + regexp.QuoteMeta(text))
}

// sameTicket reports whether two 201 bodies describe the same ticket.
func sameTicket(a, b string) bool {
	var x, y map[string]any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

type result struct {
	*check.Answer
	err error
}

func (r result) status() int {
	if r.Answer == nil {
		return 0
	}
	return r.Status
}

func (r result) body() string {
	if r.Answer == nil {
		return ""
	}
	return string(r.Body)
}

// parallel runs n requests at once and returns their answers.
func parallel(n int, do func(i int) (*check.Answer, error)) []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, err := do(i)
			out[i] = result{a, err}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestStackStopsWhenDynamoDBDies: the DynamoDB Local the stack started is
// killed; the stack says so at once and stops (exit status 1) instead of
// serving errors and polling a dead stream for ever.
func TestStackStopsWhenDynamoDBDies(t *testing.T) {
	bins := stacktest.Build(t)
	// An empty -dynamodb-endpoint overrides make test's shared one: this
	// stack starts (and so supervises) its own DynamoDB Local.
	s := stacktest.Start(t, bins, "-dynamodb-endpoint", "", "-schedules=false")
	from := s.Len()
	s.KillDynamoDB()
	if _, ok := s.WaitFor(regexp.MustCompile(`DynamoDB Local exited .*stopping the stack`), from, 20*time.Second); !ok {
		t.Fatalf("no word of DynamoDB Local's death; output:\n%s", s.Tail(30))
	}
	select {
	case <-s.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("the stack kept running; output:\n%s", s.Tail(30))
	}
	if code := s.ExitCode(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
}
