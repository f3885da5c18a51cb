package probe

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// nameRE is the rule validName implements, kept here as an independent
// reference for the tests.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func TestValidName(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		in   string
		want bool
	}{
		{"site", true}, {"api.v1", true}, {"a", true}, {"0", true}, {"a-b_c.d", true}, {long, true},
		{"", false}, {long + "a", false}, {"-a", false}, {".a", false}, {"_a", false}, {"Site", false},
		{"a b", false}, {"a/b", false}, {"a\n", false}, {"a\x00", false}, {"é", false}, {"a\u00e9", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := validName(tc.in); got != tc.want || got != nameRE.MatchString(tc.in) {
				t.Errorf("validName(%q) = %v, want %v (regexp: %v)", tc.in, got, tc.want, nameRE.MatchString(tc.in))
			}
		})
	}
}

// FuzzValidName checks the hand-written validName against the regexp it
// replaces.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"site", "", "-a", strings.Repeat("z", 65), "a.b_c-d", "A", "a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validName(s) != nameRE.MatchString(s) {
			t.Fatalf("validName(%q) = %v, regexp says %v", s, validName(s), nameRE.MatchString(s))
		}
	})
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name, in, err string
		check         func(t *testing.T, ts []Target)
	}{
		{name: "blank means default", in: "  \n", check: func(t *testing.T, ts []Target) {
			if ts != nil {
				t.Fatalf("got %v, want nil", ts)
			}
		}},
		{name: "defaults filled", in: `[{"name":"site","url":"https://levqor.ai/"}]`, check: func(t *testing.T, ts []Target) {
			got := ts[0]
			if got.Method != "GET" || got.Timeout != DefaultTimeout || len(got.ExpectStatus) != 1 || got.ExpectStatus[0] != 200 || got.DegradedAfter != 0 {
				t.Fatalf("defaults not applied: %+v", got)
			}
		}},
		{name: "all fields", in: `[{"name":"api.v1","url":"http://x:8080/h?q=1","method":"head","timeout_ms":1500,
			"expect_status":[200,204],"degraded_after_ms":300,"conditions":["status == \"ok\"","n < 3"]}]`,
			check: func(t *testing.T, ts []Target) {
				got := ts[0]
				if got.Method != "HEAD" || got.Timeout != 1500*time.Millisecond || got.DegradedAfter != 300*time.Millisecond ||
					len(got.ExpectStatus) != 2 || len(got.Conditions) != 2 || got.Conditions[1].String() != "n < 3" {
					t.Fatalf("fields not parsed: %+v", got)
				}
			}},
		{name: "not json", in: `{`, err: "not a JSON list"},
		{name: "object not list", in: `{"name":"a"}`, err: "not a JSON list"},
		{name: "empty list", in: `[]`, err: "list is empty"},
		{name: "unknown field", in: `[{"name":"a","url":"https://a","tmeout_ms":5}]`, err: "unknown field"},
		{name: "trailing data", in: `[{"name":"a","url":"https://a"}] []`, err: "data after"},
		{name: "trailing bracket", in: `[{"name":"a","url":"https://a"}]]`, err: "data after"},
		{name: "bad name", in: `[{"name":"Bad Name","url":"https://a"}]`, err: "name must be"},
		{name: "missing name", in: `[{"url":"https://a"}]`, err: "name must be"},
		{name: "duplicate name", in: `[{"name":"a","url":"https://a"},{"name":"a","url":"https://b"}]`, err: "used twice"},
		{name: "relative url", in: `[{"name":"a","url":"/health"}]`, err: "absolute http"},
		{name: "ftp url", in: `[{"name":"a","url":"ftp://a/"}]`, err: "absolute http"},
		{name: "credentials in url", in: `[{"name":"a","url":"https://u:p@a/"}]`, err: "without credentials"},
		{name: "bad method", in: `[{"name":"a","url":"https://a","method":"DELETE"}]`, err: "method"},
		{name: "zero timeout", in: `[{"name":"a","url":"https://a","timeout_ms":0}]`, err: "timeout_ms"},
		{name: "huge timeout", in: `[{"name":"a","url":"https://a","timeout_ms":60000}]`, err: "timeout_ms"},
		{name: "bad status", in: `[{"name":"a","url":"https://a","expect_status":[99]}]`, err: "expect_status"},
		{name: "negative degraded", in: `[{"name":"a","url":"https://a","degraded_after_ms":-1}]`, err: "degraded_after_ms"},
		{name: "bad condition", in: `[{"name":"a","url":"https://a","conditions":["status = 1"]}]`, err: "expected one of"},
		{name: "too many targets", in: "[" + strings.Repeat(`{"name":"a","url":"https://a"},`, MaxTargets) + `{"name":"z","url":"https://a"}]`, err: "more than"},
		{name: "too large", in: strings.Repeat(" ", MaxConfigBytes+1), err: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := ParseTargets([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			tt.check(t, ts)
		})
	}
}

func TestDefaultTarget(t *testing.T) {
	tg, err := DefaultTarget("https://abc.execute-api.eu-west-2.amazonaws.com/dev/", "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Name != DefaultTargetName || tg.URL != "https://abc.execute-api.eu-west-2.amazonaws.com/dev/health" {
		t.Fatalf("target = %+v", tg)
	}
	var conds []string
	for _, c := range tg.Conditions {
		conds = append(conds, c.String())
	}
	if strings.Join(conds, ";") != `status == "ok";version == "1.2.3"` {
		t.Fatalf("conditions = %v", conds)
	}
	for _, bad := range []string{"", "abc", "/dev", "ftp://x"} {
		if _, err := DefaultTarget(bad, "1"); err == nil {
			t.Errorf("DefaultTarget(%q) accepted", bad)
		}
	}
}

func FuzzParseTargets(f *testing.F) {
	f.Add([]byte(`[{"name":"site","url":"https://levqor.ai/","expect_status":[200,301],"degraded_after_ms":1500}]`))
	f.Add([]byte(`[{"name":"api","url":"http://127.0.0.1:3000/health","conditions":["status == \"ok\"","version == \"1.0.0\""]}]`))
	f.Add([]byte(`[{"name":"a","url":"https://a","timeout_ms":1}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Add([]byte(`[{"name":"a"}] x`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := ParseTargets(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tg := range ts {
			if !nameRE.MatchString(tg.Name) || seen[tg.Name] {
				t.Fatalf("accepted bad or duplicate name %q", tg.Name)
			}
			seen[tg.Name] = true
			if tg.Timeout <= 0 || tg.Timeout > MaxTimeout || len(tg.ExpectStatus) == 0 {
				t.Fatalf("accepted out-of-range target %+v", tg)
			}
			if ValidURL(tg.URL) != nil {
				t.Fatalf("accepted bad url %q", tg.URL)
			}
		}
	})
}
