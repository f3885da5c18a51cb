package warmup

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIs(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{Payload, true},
		{` {"levqor_warmup": true} `, true},
		{`{"levqor_warmup":false}`, false},
		{`{"levqor_warmup":"true"}`, false},
		{`{"levqor_warmup":1}`, false},
		{`{}`, false},
		{``, false},
		{`null`, false},
		{`[]`, false},
		{`{"levqor_warmup":true,"routeKey":"GET /health"}`, false},
		{`{"version":"2.0","routeKey":"GET /health","rawPath":"/health","requestContext":{}}`, false},
		{`{"source":"levqor.schedule","api_url":"https://x"}`, false},
		{`{"levqor_warmup":true` + strings.Repeat(" ", 64) + `}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := Is([]byte(tc.in)); got != tc.want {
				t.Errorf("Is(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestResponseJSON(t *testing.T) {
	b, err := json.Marshal(Response{Warm: true, Function: "health", Cold: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"warm":true,"function":"health","cold_start":true}` {
		t.Errorf("%s", b)
	}
}

// FuzzIs: any input Is accepts decodes to exactly the warm-up payload.
func FuzzIs(f *testing.F) {
	for _, s := range []string{Payload, `{}`, `{"levqor_warmup":true,"x":1}`, `{"levqor_warmup":true}{"x":1}`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !Is(raw) {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", raw, err)
		}
		if len(m) != 1 || m["levqor_warmup"] != true {
			t.Fatalf("accepted %q", raw)
		}
	})
}
