package edge

import (
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/probe"
)

func TestParseScheduled(t *testing.T) {
	tests := []struct {
		name, in string
		want     Scheduled
		err      string
	}{
		{name: "template input", in: `{"source":"levqor.schedule","api_url":"https://abc.execute-api.eu-west-2.amazonaws.com/dev"}`,
			want: Scheduled{APIURL: "https://abc.execute-api.eu-west-2.amazonaws.com/dev"}},
		{name: "template input with api_id and trailing slash", in: `{"source":"levqor.schedule","api_url":"http://127.0.0.1:3000/","api_id":"abc"}`,
			want: Scheduled{APIURL: "http://127.0.0.1:3000", APIID: "abc"}},
		{name: "template input without url", in: `{"source":"levqor.schedule"}`, want: Scheduled{}},
		{name: "eventbridge envelope", in: `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event",
			"source":"aws.events","account":"123456789012","time":"2026-11-25T17:00:00Z","region":"eu-west-2",
			"resources":["arn:aws:events:eu-west-2:123456789012:rule/levqor-dev-keepalive-hourly"],"detail":{}}`,
			want: Scheduled{EventID: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", Time: time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)}},
		{name: "envelope with api_url in detail", in: `{"id":"e1","detail-type":"Scheduled Event","source":"aws.events","detail":{"api_url":"https://x/dev"}}`,
			want: Scheduled{EventID: "e1", APIURL: "https://x/dev"}},
		{name: "not json", in: `{`, err: "not a scheduled event"},
		{name: "list", in: `[]`, err: "not a scheduled event"},
		{name: "unknown field", in: `{"source":"levqor.schedule","apiurl":"x"}`, err: "unknown field"},
		{name: "trailing data", in: `{"source":"levqor.schedule"} {}`, err: "data after"},
		{name: "other source", in: `{"source":"aws.s3"}`, err: "unknown source"},
		{name: "no source", in: `{}`, err: "unknown source"},
		{name: "envelope other detail-type", in: `{"id":"e1","detail-type":"Object Created","source":"aws.events"}`, err: "detail-type"},
		{name: "envelope without id", in: `{"detail-type":"Scheduled Event","source":"aws.events"}`, err: "id"},
		{name: "envelope bad time", in: `{"id":"e1","detail-type":"Scheduled Event","source":"aws.events","time":"yesterday"}`, err: "RFC 3339"},
		{name: "envelope detail not object", in: `{"id":"e1","detail-type":"Scheduled Event","source":"aws.events","detail":[1]}`, err: "detail"},
		{name: "relative url", in: `{"source":"levqor.schedule","api_url":"/dev"}`, err: "api_url"},
		{name: "javascript url", in: `{"source":"levqor.schedule","api_url":"javascript:alert(1)"}`, err: "api_url"},
		{name: "too large", in: `{"source":"levqor.schedule","api_id":"` + strings.Repeat("a", 70000) + `"}`, err: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScheduled([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.EventID != tt.want.EventID || got.APIURL != tt.want.APIURL || got.APIID != tt.want.APIID || !got.Time.Equal(tt.want.Time) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseScheduled(f *testing.F) {
	f.Add([]byte(`{"source":"levqor.schedule","api_url":"https://abc.execute-api.eu-west-2.amazonaws.com/dev"}`))
	f.Add([]byte(`{"version":"0","id":"e","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-25T17:00:00Z","detail":{}}`))
	f.Add([]byte(`{"id":"e","detail-type":"Scheduled Event","source":"aws.events","detail":{"api_url":"http://x"}}`))
	f.Add([]byte(`{"levqor_warmup":true}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseScheduled(b)
		if err != nil {
			return
		}
		if tr.APIURL != "" {
			if _, err := probe.DefaultTarget(tr.APIURL, "1.0.0"); err != nil {
				t.Fatalf("accepted api_url %q the default target refuses: %v", tr.APIURL, err)
			}
		}
	})
}
