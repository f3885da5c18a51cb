package streammap

import "testing"

// templatePattern is the Tickets function's filter in template.yaml.
const templatePattern = `{"eventName":["INSERT"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"TICKET#"}]}}}}`

func TestFilterMatch(t *testing.T) {
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"ticket insert", templatePattern, `{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"TICKET#TKT-1"},"sk":{"S":"TICKET"}}}}`, true},
		{"ticket modify", templatePattern, `{"eventName":"MODIFY","dynamodb":{"Keys":{"pk":{"S":"TICKET#TKT-1"}}}}`, false},
		{"idempotency insert", templatePattern, `{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"IDEMP#abc"}}}}`, false},
		{"no keys", templatePattern, `{"eventName":"INSERT","dynamodb":{}}`, false},
		{"number key", templatePattern, `{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"N":"1"}}}}`, false},
		{"not an object", templatePattern, `[1]`, false},
		{"number equality", `{"n":[5]}`, `{"n":5.0}`, true},
		{"array value", `{"tags":["b"]}`, `{"tags":["a","b"]}`, true},
		{"exists true", `{"a":[{"exists":true}]}`, `{"a":null}`, true},
		{"exists false", `{"a":[{"exists":false}]}`, `{"b":1}`, true},
		{"exists false but present", `{"a":[{"exists":false}]}`, `{"a":1}`, false},
		{"anything-but list", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":"z"}`, true},
		{"anything-but hit", `{"a":[{"anything-but":"x"}]}`, `{"a":"x"}`, false},
		{"anything-but prefix", `{"a":[{"anything-but":{"prefix":"IDEMP#"}}]}`, `{"a":"TICKET#1"}`, true},
		{"suffix", `{"a":[{"suffix":".png"}]}`, `{"a":"x.png"}`, true},
		{"ignore case", `{"a":[{"equals-ignore-case":"insert"}]}`, `{"a":"INSERT"}`, true},
		{"null value", `{"a":[null]}`, `{"a":null}`, true},
		{"bool value", `{"a":[true]}`, `{"a":false}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilter(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match([]byte(tc.event)); got != tc.want {
				t.Errorf("Match(%s) = %v, want %v", tc.event, got, tc.want)
			}
		})
	}
}

func TestParseFilterRejects(t *testing.T) {
	tests := []struct{ name, pattern string }{
		{"not JSON", `{`},
		{"array", `[]`},
		{"empty object", `{}`},
		{"scalar leaf", `{"a":"x"}`},
		{"empty array", `{"a":[]}`},
		{"unknown operator", `{"a":[{"cidr":"10.0.0.0/8"}]}`},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`},
		{"prefix not string", `{"a":[{"prefix":1}]}`},
		{"exists not bool", `{"a":[{"exists":"yes"}]}`},
		{"trailing data", `{"a":[1]} {}`},
		{"object in values", `{"a":[[1]]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseFilter(tc.pattern); err == nil {
				t.Errorf("ParseFilter(%s) accepted", tc.pattern)
			}
		})
	}
}

func FuzzFilter(f *testing.F) {
	f.Add(templatePattern, `{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"TICKET#1"}}}}`)
	f.Add(`{"a":[{"anything-but":{"prefix":"x"}}]}`, `{"a":["x1","y"]}`)
	f.Add(`{"a":{"b":[{"exists":false}]}}`, `{"a":{"c":1}}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		flt, err := ParseFilter(pattern)
		if err != nil {
			return
		}
		flt.Match([]byte(event)) // must not panic
	})
}
