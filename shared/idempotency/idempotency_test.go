package idempotency_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
)

func TestParseKey(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324", true},
		{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, "8e03978e-40d5-43e8-bc93-6894a57f9324", true}, // structured-field string, as the draft sends it
		{"01HZX3J8K9Q2", "01HZX3J8K9Q2", true},
		{"a", "a", true},
		{"YWJj+/=.:~_-", "YWJj+/=.:~_-", true},
		{strings.Repeat("k", idempotency.MaxKeyLen), strings.Repeat("k", idempotency.MaxKeyLen), true},
		{strings.Repeat("k", idempotency.MaxKeyLen+1), "", false},
		{"", "", false},
		{`""`, "", false},
		{"has space", "", false},
		{"new\nline", "", false},
		{"hash#sign", "", false}, // # separates the record key's parts
		{"ünï", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := idempotency.ParseKey(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("ParseKey(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil {
				var pe *problem.Error
				if !errors.As(err, &pe) || pe.Code != problem.Validation || pe.Fields[0].Field != idempotency.Header {
					t.Errorf("error %v does not name the header", err)
				}
			}
		})
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"abc", `"abc"`, "", `"`, "a b", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := idempotency.ParseKey(s)
		if err != nil {
			return
		}
		if k == "" || len(k) > idempotency.MaxKeyLen || strings.ContainsAny(k, "#\" \r\n") {
			t.Fatalf("accepted key %q", k)
		}
	})
}

func TestScopeSeparatesCallers(t *testing.T) {
	a, b := idempotency.Scope("ip", "203.0.113.7"), idempotency.Scope("ip", "203.0.113.8")
	c := idempotency.Scope("sub", "203.0.113.7")
	if a == b || a == c {
		t.Fatalf("scopes collide: %s %s %s", a, b, c)
	}
	if strings.Contains(a, "203.0.113.7") || strings.Contains(a, "#") {
		t.Fatalf("scope %q leaks the identity or the separator", a)
	}
	if idempotency.Fingerprint("ab", "c") == idempotency.Fingerprint("a", "bc") {
		t.Fatal("fingerprint is ambiguous across part boundaries")
	}
}
