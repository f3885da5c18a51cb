package clientlogs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/monitor"
	"github.com/levqor/serverless/shared/problem"
)

// rec is a valid record with fields (`,"name":value...`) added or replacing
// its own.
func rec(fields string) string {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(`{"level":"error","message":"boom","ts":1764590000000,"url":"https://levqor.ai/"`+fields+`}`), &m); err != nil {
		panic(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func batchOf(recs ...string) string {
	return `{"records":[` + strings.Join(recs, ",") + `]}`
}

func TestParseRefusesMalformedBatches(t *testing.T) {
	many := make([]string, MaxRecords+1)
	for i := range many {
		many[i] = rec("")
	}
	cases := []struct {
		name string
		body string
		code problem.Code
	}{
		{"not JSON", `{"records":[`, problem.MalformedJSON},
		{"empty", "", problem.MalformedJSON},
		{"an array", `[` + rec("") + `]`, problem.Validation},
		{"a string", `"x"`, problem.Validation},
		{"no records", `{"release":"r"}`, problem.Validation},
		{"records not an array", `{"records":{}}`, problem.Validation},
		{"records null", `{"records":null}`, problem.Validation},
		{"release not a string", `{"records":[],"release":1}`, problem.Validation},
		{"trailing data", `{"records":[]} x`, problem.MalformedJSON},
		{"too many records", batchOf(many...), problem.TooLarge},
		{"too many bytes", batchOf(rec(`,"stack":"` + strings.Repeat("a", MaxBatchBytes) + `"`)), problem.TooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.body)
			if got := problem.CodeOf(err); got != tc.code {
				t.Errorf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func TestParseDropsMalformedRecords(t *testing.T) {
	cases := []struct {
		name   string
		record string
		reason string
	}{
		{"not an object", `"boom"`, DropMalformed},
		{"null", `null`, DropMalformed},
		{"message not a string", `{"level":"error","message":1,"ts":1}`, DropMalformed},
		{"unknown level", `{"level":"fatal","message":"m","ts":1}`, DropLevel},
		{"no level", `{"message":"m","ts":1}`, DropLevel},
		{"no message", `{"level":"info","message":"  ","ts":1}`, DropMessage},
		{"no ts", `{"level":"info","message":"m"}`, DropTime},
		{"negative ts", `{"level":"info","message":"m","ts":-5}`, DropTime},
		{"ts past year 9999", `{"level":"info","message":"m","ts":1e300}`, DropTime},
		{"context not an object", rec(`,"context":[1]`), DropContext},
		{"duplicate name", `{"level":"info","message":"a","message":"b","ts":1}`, DropMalformed},
		{"ts a string", `{"level":"info","message":"m","ts":"1"}`, DropMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Parse(batchOf(rec(""), tc.record))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Records) != 1 || b.DroppedTotal() != 1 || b.Dropped[tc.reason] != 1 {
				t.Errorf("accepted %d, dropped %v; want 1 accepted, 1 dropped as %s", len(b.Records), b.Dropped, tc.reason)
			}
		})
	}
}

func TestParseTruncatesAndScrubs(t *testing.T) {
	ctx := make([]string, 0, MaxContext+3)
	for i := range MaxContext + 2 {
		ctx = append(ctx, fmt.Sprintf(`"k%02d":%d`, i, i))
	}
	ctx = append(ctx, `"nested":{"a":1}`)
	body := batchOf(
		`{"level":"warn","message":"`+strings.Repeat("é", MaxMessageBytes)+`","ts":1764590000000.7,"url":"https://levqor.ai/x?token=abc","stack":"`+strings.Repeat("s", MaxStackBytes+1)+`"}`,
		rec(`,"message":"user jane@example.com failed","context":{`+strings.Join(ctx, ",")+`}`),
		rec(`,"release":"r2","session":"s2"`),
	)
	body = strings.Replace(body, `{"records"`, `{"release":"r1","session":"s1","records"`, 1)
	b, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 3 || b.DroppedTotal() != 0 || b.Truncated() != 2 {
		t.Fatalf("accepted %d dropped %d truncated %d", len(b.Records), b.DroppedTotal(), b.Truncated())
	}
	long, scrubbed, own := b.Records[0], b.Records[1], b.Records[2]
	if len(long.Message) > MaxMessageBytes || !strings.HasSuffix(long.Message, "é") || len(long.Stack) != MaxStackBytes {
		t.Errorf("message %d bytes (cut mid-rune?), stack %d bytes", len(long.Message), len(long.Stack))
	}
	if strings.Join(long.Truncated, ",") != "message,stack" || long.Level != Warn {
		t.Errorf("truncated %v level %s", long.Truncated, long.Level)
	}
	if long.URL != "https://levqor.ai/x?token=[redacted]" || !long.Time.Equal(time.UnixMilli(1764590000000)) {
		t.Errorf("url %q time %v", long.URL, long.Time)
	}
	if scrubbed.Message != "user [email] failed" || len(scrubbed.Context) != MaxContext || scrubbed.Context[0].Key != "k00" {
		t.Errorf("message %q context %v", scrubbed.Message, scrubbed.Context)
	}
	if strings.Join(scrubbed.Truncated, ",") != "context" {
		t.Errorf("truncated %v", scrubbed.Truncated)
	}
	if scrubbed.Release != "r1" || scrubbed.Session != "s1" || own.Release != "r2" || own.Session != "s2" {
		t.Errorf("release/session %q/%q and %q/%q", scrubbed.Release, scrubbed.Session, own.Release, own.Session)
	}
	if len(long.Fingerprint) != 16 {
		t.Errorf("fingerprint %q", long.Fingerprint)
	}
}

func TestFingerprint(t *testing.T) {
	chrome := "TypeError: x is undefined\n    at render (https://levqor.ai/app.js:1:42)\n    at main"
	firefox := "render@https://levqor.ai/app.js:1:42\nmain@"
	cases := []struct {
		name string
		a, b [3]string
		same bool
	}{
		{"ids in the message fold", [3]string{"error", "order 123 failed", ""}, [3]string{"error", "order 98 failed", ""}, true},
		{"a different message", [3]string{"error", "a", ""}, [3]string{"error", "b", ""}, false},
		{"a different level", [3]string{"error", "a", ""}, [3]string{"warn", "a", ""}, false},
		{"Chrome repeats the message", [3]string{"error", "TypeError: x is undefined", chrome}, [3]string{"error", "TypeError: x is undefined", "    at render (https://levqor.ai/app.js:1:42)"}, true},
		{"another frame", [3]string{"error", "m", firefox}, [3]string{"error", "m", "other@https://levqor.ai/app.js:9:1"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := Fingerprint(Level(tc.a[0]), tc.a[1], tc.a[2])
			b := Fingerprint(Level(tc.b[0]), tc.b[1], tc.b[2])
			if (a == b) != tc.same {
				t.Errorf("%s vs %s: same=%v, want %v", a, b, a == b, tc.same)
			}
		})
	}
}

func TestMetricRelease(t *testing.T) {
	cases := []struct {
		release string
		allowed map[string]bool
		want    string
	}{
		{"", nil, NoRelease},
		{"web@2026.12.01", nil, "web@2026.12.01"},
		{"web 1", nil, OtherRelease},
		{strings.Repeat("a", 41), nil, OtherRelease},
		{"r1", map[string]bool{"r1": true}, "r1"},
		{"r2", map[string]bool{"r1": true}, OtherRelease},
	}
	for _, tc := range cases {
		t.Run(tc.release, func(t *testing.T) {
			if got := MetricRelease(tc.release, tc.allowed); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	got := CountByRelease([]Record{{Level: Error, Release: "a"}, {Level: Warn, Release: "a"}, {Level: Info}}, nil)
	if got["a"] != (Counts{1, 1}) || got[NoRelease] != (Counts{}) || len(got) != 2 {
		t.Errorf("CountByRelease = %v", got)
	}
}

type gate struct {
	admitted map[string]bool
	err      error
	calls    int
}

func (g *gate) Admit(_ context.Context, fp string, _ time.Time, w time.Duration) (bool, error) {
	g.calls++
	if g.err != nil {
		return false, g.err
	}
	if g.admitted[fp] || w != AlertWindow {
		return false, nil
	}
	g.admitted[fp] = true
	return true, nil
}

type notifier struct{ got []monitor.Incident }

func (n *notifier) Notify(_ context.Context, in monitor.Incident) error {
	n.got = append(n.got, in)
	return nil
}

func TestAlerter(t *testing.T) {
	e := func(fp string) Record { return Record{Level: Error, Message: "m " + fp, Fingerprint: fp} }
	cases := []struct {
		name      string
		recs      []Record
		gateErr   error
		sent      int
		gateCalls int
	}{
		{"one per fingerprint", []Record{e("a"), e("a"), e("b")}, nil, 2, 2},
		{"warnings never alert", []Record{{Level: Warn, Fingerprint: "w"}}, nil, 0, 0},
		{"capped per batch", []Record{e("1"), e("2"), e("3"), e("4"), e("5"), e("6"), e("7")}, nil, maxAlertsPerBatch, maxAlertsPerBatch},
		{"gate down: nothing sent", []Record{e("a")}, errors.New("down"), 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, n := &gate{admitted: map[string]bool{}, err: tc.gateErr}, &notifier{}
			a := &Alerter{Gate: g, Notifier: n}
			l := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
			if sent := a.Alert(context.Background(), tc.recs, "cid", l); sent != tc.sent || g.calls != tc.gateCalls {
				t.Errorf("sent %d with %d gate calls, want %d and %d", sent, g.calls, tc.sent, tc.gateCalls)
			}
			// A second batch of the same errors inside the window sends none.
			if sent := a.Alert(context.Background(), tc.recs, "cid", l); sent != 0 {
				t.Errorf("second batch sent %d", sent)
			}
			for _, in := range n.got {
				if in.Category != monitor.Client || in.CorrelationID != "cid" || in.Fields["fingerprint"] == "" {
					t.Errorf("incident %+v", in)
				}
			}
		})
	}
}

type hanging struct{}

func (hanging) Notify(ctx context.Context, _ monitor.Incident) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestAlerterBudget: a webhook that never answers costs the request the
// alert budget, not the function's timeout.
func TestAlerterBudget(t *testing.T) {
	e := func(fp string) Record { return Record{Level: Error, Message: "m", Fingerprint: fp} }
	a := &Alerter{Gate: &gate{admitted: map[string]bool{}}, Notifier: hanging{}, Budget: 50 * time.Millisecond}
	start := time.Now()
	sent := a.Alert(context.Background(), []Record{e("1"), e("2"), e("3"), e("4"), e("5")}, "cid", slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if d := time.Since(start); sent != 0 || d > time.Second {
		t.Errorf("sent %d in %v; want 0 within about the 50 ms budget", sent, d)
	}
}

func TestLogLine(t *testing.T) {
	b, err := Parse(batchOf(rec(`,"message":"a@b.co said Bearer abc123","release":"r1","context":{"step":2,"ok":true}`)))
	if err != nil || len(b.Records) != 1 {
		t.Fatal(err, b)
	}
	var buf bytes.Buffer
	Log(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), b.Records[0])
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line["level"] != "ERROR" || line["source"] != "client" || line["fingerprint"] != b.Records[0].Fingerprint ||
		line["client_message"] != "[email] said Bearer [token]" || line["release"] != "r1" {
		t.Errorf("line %s", buf.String())
	}
	if c, _ := line["context"].(map[string]any); c["step"] != 2.0 || c["ok"] != true {
		t.Errorf("context %v", line["context"])
	}
}

// FuzzParse: no body panics the parser, and whatever it accepts keeps to
// the limits and is scrubbed.
func FuzzParse(f *testing.F) {
	f.Add([]byte(batchOf(rec(`,"stack":"at x","context":{"a":"b@c.de"}`))))
	f.Add([]byte(`{"records":[1,null,{"level":"info"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"records":[{"level":"warn","message":"\u00e9","ts":1,"context":{"k":[1]}}],"release":"r"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := Parse(string(body))
		if err != nil {
			if problem.CodeOf(err) == problem.Internal {
				t.Fatalf("internal error %v", err)
			}
			return
		}
		if len(b.Records)+b.DroppedTotal() > MaxRecords {
			t.Fatalf("%d records, %d dropped", len(b.Records), b.DroppedTotal())
		}
		for _, r := range b.Records {
			if len(r.Message) > MaxMessageBytes || len(r.Stack) > MaxStackBytes || len(r.URL) > MaxURLBytes || len(r.Context) > MaxContext {
				t.Fatalf("record over its limits: %+v", r)
			}
			if scrubEmails(r.Message) != r.Message {
				t.Fatalf("unscrubbed message %q", r.Message)
			}
		}
	})
}

// TestContextScrubbed: numbers of card or phone length, and the values of
// keys that name a secret, never reach a log line; a repeated key is kept
// once.
func TestContextScrubbed(t *testing.T) {
	b, err := Parse(batchOf(`{"level":"info","message":"m","ts":1,"context":{"card":4111111111111111,"phone":447700900123,"count":42,` +
		`"access_token":"abc","apiKey":"yyyy","client_secret":"z","otp":"123456","pwd":"p","sid":"s","userSid":"u","inside":"kept","to\u212Aen":"k","pa\u017F\u017Fword":"l","step":"pay","step":"done"}}`))
	if err != nil || len(b.Records) != 1 {
		t.Fatal(err, b)
	}
	got := map[string]any{}
	for _, f := range b.Records[0].Context {
		if _, dup := got[f.Key]; dup {
			t.Errorf("key %s twice", f.Key)
		}
		got[f.Key] = f.Value.Any()
	}
	want := map[string]any{"card": RedactedNumber, "phone": RedactedNumber, "count": 42.0, "access_token": RedactedValue,
		"apiKey": RedactedValue, "client_secret": RedactedValue, "otp": RedactedValue, "pwd": RedactedValue,
		"sid": RedactedValue, "userSid": RedactedValue, "inside": "kept", "to\u212Aen": RedactedValue, "pa\u017F\u017Fword": RedactedValue, "step": "done"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("context %s = %v, want %v", k, got[k], v)
		}
	}
}
