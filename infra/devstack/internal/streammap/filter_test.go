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
		{"prefix", `{"a":[{"prefix":"x"}]}`, `{"a":"x1"}`, true},
		{"an array is not a string", `{"a":[{"prefix":"x"}]}`, `{"a":["x1"]}`, false},
		{"exact string", `{"a":["INSERT","MODIFY"]}`, `{"a":"MODIFY"}`, true},
		{"missing key", `{"a":["x"]}`, `{"b":"x"}`, false},
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
		{"not emulated: exists", `{"a":[{"exists":true}]}`},
		{"not emulated: anything-but", `{"a":[{"anything-but":["x"]}]}`},
		{"not emulated: suffix", `{"a":[{"suffix":".png"}]}`},
		{"not emulated: numbers", `{"n":[5]}`},
		{"trailing data", `{"a":[1]} {}`},
		{"object in values", `{"a":[[1]]}`},
		// Array values: the template matches strings only.
		{"not emulated: string set", `{"dynamodb":{"NewImage":{"tags":{"SS":["b"]}}}}`},
		{"not emulated: list", `{"dynamodb":{"NewImage":{"l":{"L":[{"prefix":"x"}]}}}}`},
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
	f.Add(`{"a":[{"prefix":"x"}]}`, `{"a":["x1","y"]}`)
	f.Add(`{"a":{"b":["c"]}}`, `{"a":{"b":1}}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		flt, err := ParseFilter(pattern)
		if err != nil {
			return
		}
		flt.Match([]byte(event)) // must not panic
	})
}
