package tickets

import (
	"bytes"
	"errors"
	"net/mail"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Request
	}{
		{"seed", `{"subject":"Test","body":"Test ticket","tier":"growth"}`,
			Request{Subject: "Test", Body: "Test ticket", Tier: tiers.Growth, TierGiven: true}},
		{"spec with email", `{"subject":"Test","body":"Test ticket","tier":"growth","email":"a@example.com"}`,
			Request{Subject: "Test", Body: "Test ticket", Tier: tiers.Growth, TierGiven: true, Email: "a@example.com"}},
		{"default tier", `{"subject":"S","body":"B"}`,
			Request{Subject: "S", Body: "B", Tier: tiers.Starter}},
		{"member order and whitespace", " {\n\t\"body\" : \"B\" ,\"subject\":\"S\"}\n ",
			Request{Subject: "S", Body: "B", Tier: tiers.Starter}},
		{"body kept as written", `{"subject":"S","body":"  line1\r\nline2\t\u0000 <b>x</b> "}`,
			Request{Subject: "S", Body: "  line1\r\nline2\t\x00 <b>x</b> ", Tier: tiers.Starter}},
		{"subject of 200 runes", `{"subject":"` + strings.Repeat("é", 200) + `","body":"B"}`,
			Request{Subject: strings.Repeat("é", 200), Body: "B", Tier: tiers.Starter}},
		{"body of 10000 runes", `{"subject":"S","body":"` + strings.Repeat("日", 10_000) + `"}`,
			Request{Subject: "S", Body: strings.Repeat("日", 10_000), Tier: tiers.Starter}},
		{"escaped unicode", `{"subject":"caf\u00e9","body":"\ud83d\ude00"}`,
			Request{Subject: "café", Body: "😀", Tier: tiers.Starter}},
		{"bidi controls stay in the body, as sent", `{"subject":"S","body":"a\u202eb\u2066c"}`,
			Request{Subject: "S", Body: "a\u202eb\u2066c", Tier: tiers.Starter}},
		{"a typed replacement character is kept", "{\"subject\":\"S\",\"body\":\"\xef\xbf\xbd\"}",
			Request{Subject: "S", Body: "\ufffd", Tier: tiers.Starter}},
		{"an escaped backslash before u is not an escape", `{"subject":"S","body":"C:\\ud800"}`,
			Request{Subject: "S", Body: `C:\ud800`, Tier: tiers.Starter}},
		{"a subject of one emoji", `{"subject":"\ud83d\udd25","body":"B"}`,
			Request{Subject: "🔥", Body: "B", Tier: tiers.Starter}},
		{"a subject with a zero-width joiner inside words", `{"subject":"a\u200bb","body":"B"}`,
			Request{Subject: "a\u200bb", Body: "B", Tier: tiers.Starter}},
		{"each tier", `{"subject":"S","body":"B","tier":"agency"}`,
			Request{Subject: "S", Body: "B", Tier: tiers.Agency, TierGiven: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		code   problem.Code
		field  string // "" when the problem names no field
		reason string
	}{
		{"empty", ``, problem.MalformedJSON, "", ""},
		{"not json", `subject=Test`, problem.MalformedJSON, "", ""},
		{"truncated", `{"subject":"Test"`, problem.MalformedJSON, "", ""},
		{"trailing comma", `{"subject":"S","body":"B",}`, problem.MalformedJSON, "", ""},
		{"array", `[{"subject":"S","body":"B"}]`, problem.MalformedJSON, "", ""},
		{"string", `"hello"`, problem.MalformedJSON, "", ""},
		{"null", `null`, problem.MalformedJSON, "", ""},
		{"trailing object", `{"subject":"S","body":"B"}{"tier":"agency"}`, problem.MalformedJSON, "", ""},
		{"trailing garbage", `{"subject":"S","body":"B"} x`, problem.MalformedJSON, "", ""},
		{"trailing number", `{"subject":"S","body":"B"} 1`, problem.MalformedJSON, "", ""},
		{"too large", `{"subject":"S","body":"` + strings.Repeat("a", MaxRequestBytes) + `"}`, problem.TooLarge, "", ""},
		{"invalid utf-8 in body", "{\"subject\":\"S\",\"body\":\"B\xff\"}", problem.Validation, "body", ReasonEncoding},
		{"invalid utf-8 in subject", "{\"subject\":\"\xc3\x28\",\"body\":\"B\"}", problem.Validation, "subject", ReasonEncoding},
		{"invalid utf-8 outside values", "\xff{\"subject\":\"S\",\"body\":\"B\"}", problem.MalformedJSON, "", ""},
		{"unknown field", `{"subject":"S","body":"B","priority":"urgent"}`, problem.Validation, "priority", ReasonUnknown},
		{"case variant", `{"subject":"S","body":"B","TIER":"agency"}`, problem.Validation, "TIER", ReasonUnknown},
		{"case variant of subject", `{"Subject":"S","body":"B"}`, problem.Validation, "Subject", ReasonUnknown},
		{"duplicate key", `{"subject":"S","body":"B","tier":"starter","tier":"agency"}`, problem.Validation, "tier", ReasonDup},
		// Valid JSON, but not a string: a type error like any number (the
		// Decoder.Token version answered malformed-json for this one).
		{"number beyond float64", `{"subject":1e400,"body":"B"}`, problem.Validation, "subject", ReasonType},
		{"bad literal", `{"subject":tru,"body":"B"}`, problem.MalformedJSON, "", ""},
		{"duplicate subject", `{"subject":"S","subject":"T","body":"B"}`, problem.Validation, "subject", ReasonDup},
		{"missing subject", `{"body":"B"}`, problem.Validation, "subject", ReasonRequired},
		{"blank subject", `{"subject":"  ","body":"B"}`, problem.Validation, "subject", ReasonRequired},
		{"missing body", `{"subject":"S"}`, problem.Validation, "body", ReasonRequired},
		{"empty body", `{"subject":"S","body":""}`, problem.Validation, "body", ReasonRequired},
		{"subject too long", `{"subject":"` + strings.Repeat("a", 201) + `","body":"B"}`, problem.Validation, "subject", ReasonTooLong},
		{"body too long", `{"subject":"S","body":"` + strings.Repeat("a", 10_001) + `"}`, problem.Validation, "body", ReasonTooLong},
		{"subject with newline", `{"subject":"S\r\nX-Injected: 1","body":"B"}`, problem.Validation, "subject", ReasonControl},
		{"subject with NUL", `{"subject":"S\u0000","body":"B"}`, problem.Validation, "subject", ReasonControl},
		{"subject with C1 control", `{"subject":"S\u0085","body":"B"}`, problem.Validation, "subject", ReasonControl},
		{"lone high surrogate in subject", `{"subject":"S\ud800","body":"B"}`, problem.Validation, "subject", ReasonEncoding},
		{"lone low surrogate in body", `{"subject":"S","body":"B\udfff"}`, problem.Validation, "body", ReasonEncoding},
		{"reversed pair in body", `{"subject":"S","body":"\udc00\ud800"}`, problem.Validation, "body", ReasonEncoding},
		{"high surrogate before a plain escape", `{"subject":"S","body":"\ud83d\u0041"}`, problem.Validation, "body", ReasonEncoding},
		{"lone surrogate in a member name", `{"subject":"S","body":"B","\ud800":"x"}`, problem.MalformedJSON, "", ""},
		{"subject of a zero-width space", `{"subject":"\u200b","body":"B"}`, problem.Validation, "subject", ReasonNoText},
		{"subject of format characters and spaces", `{"subject":" \u2060\ufeff ","body":"B"}`, problem.Validation, "subject", ReasonNoText},
		{"subject of a combining mark", `{"subject":"\u0301","body":"B"}`, problem.Validation, "subject", ReasonNoText},
		{"subject with a right-to-left override", `{"subject":"Refund \u202egnp.exe","body":"B"}`, problem.Validation, "subject", ReasonBidi},
		{"subject with an isolate", `{"subject":"a\u2066b","body":"B"}`, problem.Validation, "subject", ReasonBidi},
		{"unknown tier", `{"subject":"S","body":"B","tier":"platinum"}`, problem.Validation, "tier", ReasonInvalid},
		{"tier upper case", `{"subject":"S","body":"B","tier":"GROWTH"}`, problem.Validation, "tier", ReasonInvalid},
		{"tier empty", `{"subject":"S","body":"B","tier":""}`, problem.Validation, "tier", ReasonInvalid},
		{"tier number", `{"subject":"S","body":"B","tier":3}`, problem.Validation, "tier", ReasonType},
		{"tier null", `{"subject":"S","body":"B","tier":null}`, problem.Validation, "tier", ReasonType},
		{"subject object", `{"subject":{"a":1},"body":"B"}`, problem.Validation, "subject", ReasonType},
		{"body array", `{"subject":"S","body":["B"]}`, problem.Validation, "body", ReasonType},
		{"email invalid", `{"subject":"S","body":"B","email":"not-an-email"}`, problem.Validation, "email", ReasonInvalid},
		{"email with name", `{"subject":"S","body":"B","email":"Ann <a@example.com>"}`, problem.Validation, "email", ReasonInvalid},
		{"email no dot", `{"subject":"S","body":"B","email":"a@localhost"}`, problem.Validation, "email", ReasonInvalid},
		{"email header injection", `{"subject":"S","body":"B","email":"a@example.com\r\nBcc: b@example.com"}`, problem.Validation, "email", ReasonInvalid},
		{"email empty", `{"subject":"S","body":"B","email":""}`, problem.Validation, "email", ReasonInvalid},
		{"email too long", `{"subject":"S","body":"B","email":"` + strings.Repeat("a", 250) + `@example.com"}`, problem.Validation, "email", ReasonInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			var pe *problem.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *problem.Error", err)
			}
			if pe.Code != tc.code {
				t.Fatalf("code = %s (%s), want %s", pe.Code, pe.Detail, tc.code)
			}
			if pe.Detail == "" {
				t.Error("problem has no detail")
			}
			if tc.field == "" {
				if len(pe.Fields) != 0 {
					t.Errorf("fields = %+v, want none", pe.Fields)
				}
				return
			}
			if len(pe.Fields) == 0 || pe.Fields[0].Field != tc.field || pe.Fields[0].Reason != tc.reason {
				t.Errorf("fields = %+v, want first {%s %s}", pe.Fields, tc.field, tc.reason)
			}
		})
	}
}

// TestParseReportsEveryFieldError checks that value errors are gathered so a
// client can fix a form in one round trip.
func TestParseReportsEveryFieldError(t *testing.T) {
	_, err := Parse(`{"subject":"","body":"","tier":"gold","email":"x"}`)
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	got := map[string]string{}
	for _, f := range pe.Fields {
		got[f.Field] = f.Reason
	}
	want := map[string]string{"subject": ReasonRequired, "body": ReasonRequired, "tier": ReasonInvalid, "email": ReasonInvalid}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s: reason %q, want %q (all: %+v)", k, got[k], v, pe.Fields)
		}
	}
	if pe.Detail != "subject is required" {
		t.Errorf("detail = %q, want the first error's", pe.Detail)
	}
}

// TestParseDoesNotEchoLongNames checks that an unknown member name is cut
// before it is reflected in a problem document.
func TestParseDoesNotEchoLongNames(t *testing.T) {
	name := strings.Repeat("x", 5000)
	_, err := Parse(`{"` + name + `":"v","subject":"S","body":"B"}`)
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	if len(pe.Detail) > 300 || len(pe.Fields[0].Field) > 100 {
		t.Errorf("unknown name echoed at length %d/%d", len(pe.Detail), len(pe.Fields[0].Field))
	}
}

// FuzzParse checks that Parse never panics, that anything it accepts meets
// every documented limit, and that it refuses only with *problem.Error.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"subject":"Test","body":"Test ticket","tier":"growth"}`,
		`{"subject":"Test","body":"Test ticket","tier":"growth","email":"a@example.com"}`,
		`{"subject":"S","body":"B","TIER":"agency"}`,
		`{"subject":"S","body":"B","tier":"starter","tier":"agency"}`,
		`{"subject":"S","body":"B"} {}`,
		"{\"subject\":\"S\",\"body\":\"B\xff\"}",
		`{"subject":"S\n","body":"B"}`,
		`{"subject":"S","body":"B","email":"a@b.c"}`,
		`[]`, `{`, `{"subject":1}`, `{"a":{"b":[1,2,{"c":null}]}}`,
		`{"subject":"S\ud800","body":"B"}`, `{"subject":"\u200b","body":"\ud83d\ude00"}`, `{"subject":"a\u202eb","body":"B"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := Parse(string(b))
		if err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) {
				t.Fatalf("non-problem error %T: %v", err, err)
			}
			if problem.Status(pe.Code) >= 500 {
				t.Fatalf("server error for input: %v", err)
			}
			return
		}
		if n := utf8.RuneCountInString(req.Subject); n < 1 || n > MaxSubjectRunes {
			t.Fatalf("accepted subject of %d runes", n)
		}
		if strings.IndexFunc(req.Subject, isVisible) < 0 || strings.IndexFunc(req.Subject, isBidiControl) >= 0 {
			t.Fatalf("accepted subject %q", req.Subject)
		}
		// U+FFFD is stored only when the customer sent one, never in place
		// of an escape that was not a character.
		if strings.ContainsRune(req.Subject+req.Body, utf8.RuneError) &&
			!bytes.Contains(b, []byte("\xef\xbf\xbd")) && !bytes.Contains(bytes.ToLower(b), []byte(`\ufffd`)) {
			t.Fatalf("accepted %q, which stores U+FFFD for what was sent", b)
		}
		if n := utf8.RuneCountInString(req.Body); n < 1 || n > MaxBodyRunes {
			t.Fatalf("accepted body of %d runes", n)
		}
		if strings.ContainsAny(req.Subject, "\r\n\x00") {
			t.Fatalf("accepted control characters in subject %q", req.Subject)
		}
		if req.Tier.Rank() < 0 {
			t.Fatalf("accepted tier %q", req.Tier)
		}
		if req.Email != "" && !strings.Contains(req.Email, "@") {
			t.Fatalf("accepted email %q", req.Email)
		}
		if !utf8.ValidString(req.Subject) || !utf8.ValidString(req.Body) {
			t.Fatal("accepted invalid UTF-8")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	testutil.LambdaHeap(b, "tickets")
	seed := `{"subject":"Test","body":"Test ticket","tier":"growth","email":"a@example.com"}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(seed); err != nil {
			b.Fatal(err)
		}
	}
}

// validEmailMail is validEmail as it was written with net/mail, kept as the
// reference the hand-written addrSpec must agree with.
func validEmailMail(s string) bool {
	if s == "" || len(s) > MaxEmailBytes || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

var emailCases = []struct {
	in   string
	want bool
}{
	{"ada@example.com", true}, {"a.b+tag@mail.example.co.uk", true}, {"x!#$%&'*+/=?^_`{|}~-@example.com", true},
	{"josé@exämple.com", true}, {"a@[192.0.2.1]", true}, {"a@[::ffff:192.0.2.1]", true}, {"\uFFFD@example.com", true},
	{"", false}, {"ada", false}, {"@example.com", false}, {"ada@", false}, {"ada@example", false},
	{".ada@example.com", false}, {"ada.@example.com", false}, {"a..b@example.com", false}, {"ada@.example.com", false},
	{"ada@example.com.", false}, {"ada@example..com", false}, {"a@b@example.com", false}, {`"ada"@example.com`, false},
	{`"a b"@example.com`, false}, {"<ada@example.com>", false}, {"Ada <ada@example.com>", false}, {"ada@example.com(Ada)", false},
	{"ada@example.com()", false}, {"ada@[::1]", false}, {"ada@[300.1.1.1]", false}, {"ada@[1.2.3.4]]", false},
	{"ada@[1.2.3.4", false}, {"ada@[]", false}, {"a(b)@example.com", false}, {"a\\b@example.com", false}, {"a,b@example.com", false},
	{"a;b@example.com", false}, {"a:b@example.com", false}, {"a[b@example.com", false}, {"ada@exa mple.com", false},
	{"ada@example.com\r\n", false}, {"\xff@example.com", false}, {"ada@\xc3.com", false}, {"grp:ada@example.com;", false},
	{"ada@example.com\u00a0", false}, {"ada@example.com\u0085", false}, {strings.Repeat("a", 250) + "@b.co", false},
}

func TestValidEmail(t *testing.T) {
	for _, tc := range emailCases {
		t.Run(tc.in, func(t *testing.T) {
			got, ref := validEmail(tc.in), validEmailMail(tc.in)
			if got != tc.want || ref != tc.want {
				t.Errorf("validEmail(%q) = %v, net/mail reference %v, want %v", tc.in, got, ref, tc.want)
			}
		})
	}
}

// FuzzValidEmail checks the hand-written address check against net/mail.
func FuzzValidEmail(f *testing.F) {
	for _, tc := range emailCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ref := validEmail(s), validEmailMail(s); got != ref {
			t.Fatalf("validEmail(%q) = %v, net/mail reference says %v", s, got, ref)
		}
	})
}
