package idempotency

import (
	"regexp"
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/problem"
)

// FuzzParseKey: whatever Idempotency-Key header arrives, ParseKey either
// refuses it with a 400 Validation problem or returns a key that is bounded
// and made only of the allowed characters, so it is safe in a record key and
// a log line; and a key it returns parses to itself.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"", `""`, `"`, "abc", `"abc"`, "6f1c2d3e-0000-4000-8000-000000000000", "a b", "k\r\nX: y",
		strings.Repeat("k", MaxKeyLen), strings.Repeat("k", MaxKeyLen+1), `"` + strings.Repeat("k", MaxKeyLen) + `"`,
		"base64+/==", "ü", "\x00",
	} {
		f.Add(s)
	}
	allowed := regexp.MustCompile(`^[A-Za-z0-9._:~+/=-]+$`)
	f.Fuzz(func(t *testing.T, v string) {
		k, err := ParseKey(v)
		if err != nil {
			if problem.CodeOf(err) != problem.Validation || k != "" {
				t.Fatalf("ParseKey(%q) = %q, %v: want a Validation problem", v, k, err)
			}
			return
		}
		if len(k) == 0 || len(k) > MaxKeyLen || !allowed.MatchString(k) {
			t.Fatalf("ParseKey(%q) = %q: not a safe key", v, k)
		}
		if again, err := ParseKey(k); err != nil || again != k {
			t.Fatalf("ParseKey(%q) = %q, %v: key does not parse to itself", k, again, err)
		}
	})
}
