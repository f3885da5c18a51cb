package jsonscan

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// tokens is every token of s as Scanner reads it, one line each, ending
// in "error" where it refuses s; reference is the same from jsontext.
func tokens(s string) string {
	var out strings.Builder
	p := New(s)
	for {
		t, err := p.ReadToken()
		if err != nil {
			return out.String() + "error"
		}
		writeToken(&out, t.Kind, t.Str, t.Num, t.True)
		if p.StackDepth() == 0 {
			break
		}
	}
	if !p.End() {
		return out.String() + "error"
	}
	return out.String()
}

func reference(s string) string {
	var out strings.Builder
	d := jsontext.NewDecoder(strings.NewReader(s), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	for {
		t, err := d.ReadToken()
		if err != nil {
			return out.String() + "error"
		}
		var str string
		var num float64
		switch t.Kind() {
		case '"':
			str = t.String()
		case '0':
			num = t.Float()
		}
		writeToken(&out, byte(t.Kind()), str, num, t.Kind() == 't')
		if d.StackDepth() == 0 {
			break
		}
	}
	if _, err := d.ReadToken(); !errors.Is(err, io.EOF) {
		return out.String() + "error"
	}
	return out.String()
}

func writeToken(b *strings.Builder, kind byte, str string, num float64, truth bool) {
	b.WriteByte(kind)
	switch kind {
	case '"':
		b.WriteString(strconv.Quote(str))
	case '0':
		b.WriteString(strconv.FormatFloat(num, 'g', -1, 64))
	case 't', 'f':
		b.WriteString(strconv.FormatBool(truth))
	}
	b.WriteByte('\n')
}

var seeds = []string{
	`{}`, `[]`, `{"a":1}`, ` {"a" : [ 1 , "x" , true , false , null ] } `, `{"a":1} x`, `{}{}`, `{"a":1,}`, `[1,]`,
	`{"a":"m\u00e9\n\"","b":1.5e3,"c":{"d":-0.0}}`, `[1,2`, `"x"`, `"x`, `nul`, `null`, `nullx`, `truex`,
	`-`, `-01`, `01`, `1.`, `1e`, `1e+`, `.5`, `1E400`, `-1E400`, `{"a" "b"}`, `{"a":}`, `{,}`, `{"a":1,,"b":2}`,
	`{"a":1 "b":2}`, `"\ud800\udc00\ud800 x"`, "\"\xff\xfe\"", "\"a\x01b\"", `"\x"`, `"\u12"`, `"\u12G4"`,
	`{"a":1,"a":2}`, "[]\n\t\r ", "\ufeff[]", `"a\nb"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`,
	`"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800x"`, "\"é\\n\xc3\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
	strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
}

// FuzzTokensMatchJsontext: Scanner reads every input as jsontext's Decoder
// does with AllowInvalidUTF8 and AllowDuplicateNames: the same tokens with
// the same values, and a refusal at the same token.
func FuzzTokensMatchJsontext(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := tokens(s), reference(s); got != want {
			t.Fatalf("%q:\nScanner\n%s\njsontext\n%s", s, got, want)
		}
	})
}

// TestTokensMatchJsontext runs the seeds every time, fuzzing or not.
func TestTokensMatchJsontext(t *testing.T) {
	for _, s := range seeds {
		t.Run("", func(t *testing.T) {
			if got, want := tokens(s), reference(s); got != want {
				t.Errorf("%.80q:\nScanner\n%s\njsontext\n%s", s, got, want)
			}
		})
	}
}

func TestReadValue(t *testing.T) {
	tests := []struct {
		in    string
		reads int // tokens read before ReadValue
		want  string
	}{
		{` {"a": [1, {"b": null}] } `, 0, `{"a": [1, {"b": null}] }`},
		{`"x\"y"`, 0, `"x\"y"`},
		{`[1, 2`, 0, "error"},
		{`]`, 0, "error"},
		{`[[],[1]]`, 2, "error"}, // at an inner array's end, before another
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p := New(tc.in)
			for range tc.reads {
				p.ReadToken()
			}
			got, err := p.ReadValue()
			if err != nil {
				got = "error"
			}
			if got != tc.want {
				t.Errorf("ReadValue(%q) after %d tokens = %q, want %q", tc.in, tc.reads, got, tc.want)
			}
		})
	}
}
