package invocation

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		in      string
		want    Kind
		wantErr bool
	}{
		{`{"levqor_warmup":true}`, Warmup, false},
		{`{"levqor_warmup":false}`, Other, false},
		{`{"version":"2.0","routeKey":"GET /health","requestContext":{}}`, HTTP, false},
		{`{"requestContext":{"http":{"method":"GET"}}}`, HTTP, false},
		{`{"routeKey":"$default"}`, HTTP, false},
		{`{"source":"levqor.schedule","api_url":"https://x"}`, Other, false},
		{`{"Records":[]}`, Other, false},
		{`{"routeKey":5}`, Other, false},
		{`[1,2]`, Other, false},
		{`null`, Other, false},
		{`{`, Other, true},
		{``, Other, true},
	}
	for _, tt := range tests {
		got, err := Classify([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Classify(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{`{"levqor_warmup":true}`, `{"routeKey":"GET /health"}`, `{"source":"x"}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Classify(b)
		if err != nil && k != Other {
			t.Fatalf("kind %v with error %v", k, err)
		}
	})
}
