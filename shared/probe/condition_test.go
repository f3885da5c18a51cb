package probe

import (
	"strings"
	"testing"
)

func TestParseCondition(t *testing.T) {
	tests := []struct {
		in, canon, err string
	}{
		{in: `status == "ok"`, canon: `status == "ok"`},
		{in: `  version=="1.0.0" `, canon: `version == "1.0.0"`},
		{in: `checks.dynamodb.latency_ms < 500`, canon: `checks.dynamodb.latency_ms < 500`},
		{in: `items[2].ok != false`, canon: `items[2].ok != false`},
		{in: `[0] == null`, canon: `[0] == null`},
		{in: `uptime_seconds >= 1e3`, canon: `uptime_seconds >= 1000`},
		{in: `a-b <= -1.5`, canon: `a-b <= -1.5`},
		{in: ``, err: "empty"},
		{in: `== "ok"`, err: "no field name"},
		{in: `status "ok"`, err: "expected one of"},
		{in: `status ==`, err: "missing value"},
		{in: `status == ok`, err: "not a JSON"},
		{in: `status == "ok" extra`, err: "unexpected text"},
		{in: `status < "ok"`, err: "needs a number"},
		{in: `status == {"a":1}`, err: "must be a string"},
		{in: `a..b == 1`, err: "expected a name"},
		{in: `a. == 1`, err: "ends with a dot"},
		{in: `.a == 1`, err: "expected a name"},
		{in: `a[x] == 1`, err: "index must be"},
		{in: `a[-1] == 1`, err: "index must be"},
		{in: `a[1 == 1`, err: "unclosed"},
		{in: `1a == 1`, err: "expected a name"},
		{in: `a$ == 1`, err: "unexpected"},
		{in: `a === 1`, err: "not a JSON"},
		{in: strings.Repeat("a", 300) + ` == 1`, err: "longer than"},
		{in: strings.Repeat("a.", 20) + `a == 1`, err: "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCondition(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.String() != tt.canon {
				t.Fatalf("canonical = %q, want %q", c.String(), tt.canon)
			}
		})
	}
}

func TestConditionEval(t *testing.T) {
	body, err := DecodeBody([]byte(`{"status":"ok","version":"1.0.0","n":42,"big":12345678901234567890,
		"checks":{"db":{"ok":true,"ms":12.5}},"list":[{"v":1},{"v":null}],"obj":{},"s1":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cond string
		want bool
	}{
		{`status == "ok"`, true},
		{`status != "ok"`, false},
		{`status == "degraded"`, false},
		{`version == "1.0.0"`, true},
		{`version == "1.0.1"`, false},
		{`missing == "x"`, false},
		{`missing != "x"`, false}, // a condition on a missing field never holds, whatever the operator
		{`n == 42`, true},
		{`n < 43`, true},
		{`n <= 42`, true},
		{`n > 42`, false},
		{`n >= 42.0`, true},
		{`n == "42"`, false},
		{`s1 == 1`, false},
		{`big > 1e19`, true},
		{`checks.db.ok == true`, true},
		{`checks.db.ms < 20`, true},
		{`checks.db.ms.deeper == 1`, false},
		{`list[0].v == 1`, true},
		{`list[1].v == null`, true},
		{`list[5].v == null`, false},
		{`list.v == 1`, false},
		{`obj == null`, false},
		{`obj != "x"`, true},
		{`status.x == "ok"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c, err := ParseCondition(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Eval(body); got != tt.want {
				t.Fatalf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeBody(t *testing.T) {
	for _, in := range []string{``, `{`, `{} x`, `{}{}`} {
		if _, err := DecodeBody([]byte(in)); err == nil {
			t.Errorf("DecodeBody(%q) = nil error", in)
		}
	}
	if _, err := DecodeBody([]byte(" {\"a\":1} \n")); err != nil {
		t.Errorf("trailing whitespace refused: %v", err)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{`status == "ok"`, `version == "1.0.0"`, `a.b[0].c <= 1e3`, `x != null`, `[0]==true`, `a[`, `==`, `a < "b"`} {
		f.Add(s)
	}
	body, _ := DecodeBody([]byte(`{"status":"ok","a":{"b":[{"c":1}]},"x":null}`))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			return
		}
		_ = c.Eval(body)
		_ = c.Eval(nil)
		// The canonical form parses to itself.
		c2, err := ParseCondition(c.String())
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c.String(), s, err)
		}
		if c2.String() != c.String() {
			t.Fatalf("canonical form not stable: %q -> %q", c.String(), c2.String())
		}
	})
}
