package clientlogs

import (
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	cases := []struct{ name, in, want string }{
		{"plain text untouched", "TypeError: x is undefined", "TypeError: x is undefined"},
		{"email", "mail jane.doe+x@example.co.uk now", "mail [email] now"},
		{"percent-encoded email", "/users/jane%40example.com/edit", "/users/[email]/edit"},
		{"at without domain", "@media rule and a@b", "@media rule and a@b"},
		{"a release is not an address", "web@2026.12.01", "web@2026.12.01"},
		{"bearer token", "Authorization: Bearer abc.DEF-123_x", "Authorization: Bearer [token]"},
		{"bearer in prose", "the bearer of bad news", "the bearer of bad news"},
		{"basic credentials", "basic dXNlcjpwYXNz", "basic [token]"},
		{"basic in prose", "basic information", "basic information"},
		{"jwt", "token " + jwt + " end", "token [jwt] end"},
		{"jwt inside a word is not one", "xeyJhbGciOiJIUzI1NiJ9.a.b", "xeyJhbGciOiJIUzI1NiJ9.a.b"},
		{"key=value secret", "retry with access_token=abc123&x=1", "retry with access_token=[token]&x=1"},
		{"json password", `{"password": "hunter2"}`, `{"password": "[token]"}`},
		{"card number", "card 4111 1111 1111 1111 declined", "card [number] declined"},
		{"phone", "call +44 7700-900123", "call [number]"},
		{"short numbers stay", "line 12345678 of 3", "line 12345678 of 3"},
		{"digits in an id stay", "id a1234567890b", "id a1234567890b"},
		{"query scrubbed, allowed kept", "https://levqor.ai/reset?token=abc&lang=en&email=a@b.co", "https://levqor.ai/reset?token=[redacted]&lang=en&email=[redacted]"},
		{"fragment dropped", "https://levqor.ai/cb#access_token=xyz", "https://levqor.ai/cb"},
		{"stack frame position kept", "at f (https://levqor.ai/app.js?v=3&k=9:10:5)", "at f (https://levqor.ai/app.js?v=3&k=[redacted]:10:5)"},
		{"url without query", "https://levqor.ai/pricing:1:2", "https://levqor.ai/pricing:1:2"},
		{"odd parameter name", "https://x.io/?a%40b.com", "https://x.io/?[redacted]"},
		{"flag parameter kept", "https://x.io/?debug", "https://x.io/?debug"},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Scrub(tc.in); got != tc.want {
				t.Errorf("Scrub(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestScrubAllocatesOnlyWhenItChanges: clean text, the common case, costs
// no allocation.
func TestScrubAllocatesOnlyWhenItChanges(t *testing.T) {
	clean := strings.Repeat("    at render (https://levqor.ai/assets/app.js:1:4242)\n", 20)
	if n := testing.AllocsPerRun(100, func() { _ = Scrub(clean) }); n != 0 {
		t.Errorf("Scrub of clean text allocated %v times", n)
	}
}

func FuzzScrub(f *testing.F) {
	for _, s := range []string{"a@b.co", "Bearer x1", "https://a.b/?t=1#f", "4111 1111 1111 1111", "eyJa.eyJb.c", "token=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Scrub(s)
		if e := scrubEmails(out); e != out {
			t.Errorf("Scrub(%q) = %q still holds an address", s, out)
		}
		if scrubDigits(out) != out {
			t.Errorf("Scrub(%q) = %q still holds a long number", s, out)
		}
	})
}
