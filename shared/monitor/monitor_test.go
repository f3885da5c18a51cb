package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func incident() Incident {
	return Incident{Category: Database, Severity: Critical, Message: "table unreachable", Error: "timeout",
		CorrelationID: "cid-12345678", Fields: map[string]string{"table": "t"}, Time: time.Unix(1700000000, 0).UTC()}
}

func TestWebhook(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{"ok", 200, false},
		{"accepted", 202, false},
		{"no content", 204, false},
		{"not modified", 304, true},
		{"client error", 400, true},
		{"server error", 503, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got Incident
			var ctype, auth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost {
					t.Errorf("method %s", r.Method)
				}
				ctype, auth = r.Header.Get("Content-Type"), r.Header.Get("Authorization")
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
					t.Error(err)
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			err := Webhook{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer x"}}.Notify(context.Background(), incident())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if ctype != "application/json" || auth != "Bearer x" {
				t.Errorf("headers %q %q", ctype, auth)
			}
			want := incident()
			if got.Category != want.Category || got.Message != want.Message || got.CorrelationID != want.CorrelationID || !got.Time.Equal(want.Time) {
				t.Errorf("posted %+v", got)
			}
		})
	}
}

// TestWebhookTransport: transport failures are errors, and none of them
// names the webhook's secret path (it would be logged).
func TestWebhookTransport(t *testing.T) {
	const secret = "/services/T000/B000/s3cr3tpath"
	srv := httptest.NewServer(http.NotFoundHandler())
	closed := srv.URL + secret
	srv.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()
	for _, tc := range []struct {
		name string
		hook Webhook
	}{
		{"closed server", Webhook{URL: closed}},
		{"bad URL", Webhook{URL: "://bad" + secret}},
		// A hanging endpoint is bounded by the client's timeout.
		{"hanging endpoint", Webhook{URL: slow.URL + secret, Client: &http.Client{Timeout: 50 * time.Millisecond}}},
		{"server error", Webhook{URL: failing.URL + secret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.hook.Notify(context.Background(), incident())
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "s3cr3tpath") {
				t.Errorf("error names the webhook's path: %v", err)
			}
		})
	}
}

func TestLog(t *testing.T) {
	cases := []struct {
		sev   Severity
		level string
	}{{Critical, "ERROR"}, {Warning, "WARN"}, {Info, "INFO"}, {"", "ERROR"}}
	for _, tc := range cases {
		t.Run(string(tc.sev), func(t *testing.T) {
			var buf bytes.Buffer
			in := incident()
			in.Severity = tc.sev
			if err := (Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}).Notify(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["level"] != tc.level || rec["category"] != "database" || rec["msg"] != "incident: table unreachable" {
				t.Errorf("record %v", rec)
			}
		})
	}
}

type notifier struct {
	called int
	err    error
}

func (n *notifier) Notify(context.Context, Incident) error { n.called++; return n.err }

func TestMulti(t *testing.T) {
	e1, e2 := errors.New("one"), errors.New("two")
	a, b, c := &notifier{err: e1}, &notifier{}, &notifier{err: e2}
	err := Multi{a, b, c}.Notify(context.Background(), incident())
	if a.called != 1 || b.called != 1 || c.called != 1 {
		t.Errorf("calls %d %d %d", a.called, b.called, c.called)
	}
	if !errors.Is(err, e1) || !errors.Is(err, e2) {
		t.Errorf("err %v", err)
	}
	if err := (Multi{&notifier{}}).Notify(context.Background(), incident()); err != nil {
		t.Errorf("no failures: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	if _, ok := FromEnv(nil, "").(Log); !ok {
		t.Error("no URL: want the log notifier only")
	}
	m, ok := FromEnv(nil, "https://hooks.example/x").(Multi)
	if !ok || len(m) != 2 {
		t.Fatalf("URL: %#v", m)
	}
	if w, ok := m[1].(Webhook); !ok || !strings.HasSuffix(w.URL, "/x") {
		t.Errorf("webhook %#v", m[1])
	}
}
