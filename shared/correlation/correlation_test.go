package correlation

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestValid(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"1234567", false},
		{"12345678", true},
		{"abc-DEF_012.x:y", true},
		{"6f1c2d3e-0000-4000-8000-000000000000", true},
		{strings.Repeat("a", MaxLen), true},
		{strings.Repeat("a", MaxLen+1), false},
		{"abcdefgh\r\nX-Injected: 1", false},
		{"abcd efgh", false},
		{"abcdefgh\"}", false},
		{"abcdéfgh", false},
		{"abcdefgh\x00", false},
		{"abcd/efgh", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := Valid(tc.in); got != tc.want {
				t.Errorf("Valid(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		id := New()
		if !uuidV4.MatchString(id) {
			t.Fatalf("New() = %q, not a UUID v4", id)
		}
		if !Valid(id) {
			t.Fatalf("New() = %q is not Valid", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestFromHeader(t *testing.T) {
	cases := []struct {
		in   string
		keep bool
	}{
		{"req-12345678", true},
		{"", false},
		{"short", false},
		{"bad id with spaces", false},
		{"abcdefgh\r\nSet-Cookie: x", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got := FromHeader(tc.in)
			if tc.keep && got != tc.in {
				t.Errorf("FromHeader(%q) = %q, want it kept", tc.in, got)
			}
			if !tc.keep && (got == tc.in || !uuidV4.MatchString(got)) {
				t.Errorf("FromHeader(%q) = %q, want a new id", tc.in, got)
			}
		})
	}
}

func TestContext(t *testing.T) {
	if From(context.Background()) != "" {
		t.Error("empty context carries an id")
	}
	ctx := With(context.Background(), "cid-12345678")
	if From(ctx) != "cid-12345678" {
		t.Errorf("From = %q", From(ctx))
	}
}

// FuzzValid checks that whatever Valid accepts is safe to put in a header or
// a log line: bounded, and only the allowed characters.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "12345678", "abc-DEF_012.x:y", "abcdefgh\r\n", strings.Repeat("z", 200), "ü1234567"} {
		f.Add(s)
	}
	allowed := regexp.MustCompile(`^[A-Za-z0-9._:-]{8,128}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), allowed.MatchString(s); got != want {
			t.Fatalf("Valid(%q) = %v, want %v", s, got, want)
		}
	})
}

// FuzzFromHeader checks that the id kept or made for any header value is
// always valid, and that a valid one is kept unchanged.
func FuzzFromHeader(f *testing.F) {
	for _, s := range []string{"", "req-12345678", "abcdefgh\r\nX: y", "\x00\x01\x02\x03\x04\x05\x06\x07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FromHeader(s)
		if !Valid(got) {
			t.Fatalf("FromHeader(%q) = %q, not valid", s, got)
		}
		if Valid(s) && got != s {
			t.Fatalf("FromHeader(%q) = %q, valid id not kept", s, got)
		}
	})
}
