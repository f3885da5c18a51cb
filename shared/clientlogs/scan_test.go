package clientlogs

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/levqor/serverless/shared/jsonscan"
	"github.com/levqor/serverless/shared/problem"
)

// jsontextTokens is the tokenizer over jsontext's Decoder, with the
// options jsonscan is to match: the reference FuzzScannerMatchesJsontext
// holds the scanner to.
type jsontextTokens struct{ dec *jsontext.Decoder }

func newJsontextTokens(body string) *jsontextTokens {
	return &jsontextTokens{jsontext.NewDecoder(strings.NewReader(body), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))}
}

func (j *jsontextTokens) PeekKind() byte { return byte(j.dec.PeekKind()) }

func (j *jsontextTokens) ReadToken() (jsonscan.Token, error) {
	t, err := j.dec.ReadToken()
	if err != nil {
		return jsonscan.Token{}, err
	}
	tk := jsonscan.Token{Kind: byte(t.Kind())}
	switch tk.Kind {
	case '"':
		tk.Str = t.String()
	case '0':
		tk.Num = t.Float()
	case 't', 'f':
		tk.True = t.Bool()
	}
	return tk, nil
}

func (j *jsontextTokens) ReadValue() (string, error) {
	v, err := j.dec.ReadValue()
	return string(v), err
}

func (j *jsontextTokens) ReadString() (string, error) {
	v, err := j.dec.ReadValue()
	if err != nil {
		return "", err
	}
	b, _ := jsontext.AppendUnquote(nil, v) // its error is about invalid UTF-8, which it writes as U+FFFD
	return string(b), nil
}

func (j *jsontextTokens) SkipValue() error { return j.dec.SkipValue() }
func (j *jsontextTokens) StackDepth() int  { return j.dec.StackDepth() }

func (j *jsontextTokens) End() bool {
	_, err := j.dec.ReadToken()
	return err == io.EOF
}

// scanSeeds are bodies, valid and not, on each path of the scanner.
var scanSeeds = []string{
	`{"records":[]}`, ` {"records" : [ ] } `, `{"records":[]} x`, `{"records":[]}{}`, `{"records":[],}`, `{"records":[1,]}`,
	`{"records":[{"level":"info","message":"m","ts":1}]}`, `{"records":[{"level":"info","message":"m\u00e9\n\"","ts":1.5e3,"context":{"a":true,"b":false,"c":null,"d":-0.0,"e":"x"}}],"release":"r","session":null}`,
	`{"records":{}}`, `{"records":null}`, `[1,2`, `[]`, `"x"`, `"x`, `nul`, `null`, `nullx`, `truex`, `-`, `-01`, `01`, `1.`, `1e`, `1e+`, `.5`, `1E400`,
	`{"a" "b"}`, `{"a":}`, `{,}`, `{"a":1,,"b":2}`, `{"a":1 "b":2}`, `{"records":[{"level":"warn","message":"\ud800\udc00\ud800 x","ts":1}]}`,
	"{\"records\":[{\"level\":\"info\",\"message\":\"\xff\xfe\",\"ts\":1}]}", "{\"records\":[{\"message\":\"a\x01b\"}]}", `{"records":[{"message":"\x"}]}`,
	`{"records":[{"message":"\u12"}]}`, `{"records":[{"message":"\u12G4"}]}`, `{"records":[{"le\u0076el":"info"}]}`, `{"records":[],"records":[]}`,
	`{"release":1,"records":[]}`, `{"x":[[[{"y":[1,{"z":null}]}]]],"records":[]}`, "{\"records\":[]}\n\t\r ", "\ufeff{\"records\":[]}",
	`{"records":[{"ts":1e309,"level":"info","message":"m"},{"ts":-1e309},{"ts":9007199254740993}]}`,
	strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth), strings.Repeat("[", jsonscan.MaxDepth+1) + strings.Repeat("]", jsonscan.MaxDepth+1),
	`{"records":` + strings.Repeat("[", jsonscan.MaxDepth-1) + strings.Repeat("]", jsonscan.MaxDepth-1) + `}`,
	`{"records":` + strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth) + `}`,
}

// FuzzScannerMatchesJsontext: the parser reads every body the same over
// the scanner as over jsontext's Decoder: the same batch, or the same
// refusal.
func FuzzScannerMatchesJsontext(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	if event, err := os.ReadFile("../../events/clientlogs-full.json"); err == nil {
		f.Add(event) // an event, not a batch: refused alike
	}
	f.Add(fullBatch(f))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gerr := parse(jsonscan.New(string(body)))
		want, werr := parse(newJsontextTokens(string(body)))
		if problem.CodeOf(gerr) != problem.CodeOf(werr) || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("%q:\nscanner  %v\njsontext %v", body, gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(comparableBatch(got), comparableBatch(want)) {
			t.Fatalf("%q:\nscanner  %+v\njsontext %+v", body, got, want)
		}
	})
}

// TestScannerMatchesJsontext runs the seeds every time, fuzzing or not.
func TestScannerMatchesJsontext(t *testing.T) {
	for _, s := range append(scanSeeds, string(fullBatch(t))) {
		got, gerr := parse(jsonscan.New(s))
		want, werr := parse(newJsontextTokens(s))
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() || !reflect.DeepEqual(comparableBatch(got), comparableBatch(want)) {
			t.Errorf("%.80q:\nscanner  %v %+v\njsontext %v %+v", s, gerr, got, werr, want)
		}
	}
}

// comparableBatch is b with each context value as its Go value: DeepEqual
// would compare a slog.Value's string by its first byte and length only.
func comparableBatch(b Batch) any {
	type field struct {
		Key   string
		Value any
	}
	type record struct {
		Record
		Fields []field
	}
	out := struct {
		Records []record
		Dropped map[string]int
	}{Dropped: b.Dropped}
	for _, r := range b.Records {
		fs := []field{}
		for _, f := range r.Context {
			fs = append(fs, field{f.Key, f.Value.Any()})
		}
		r.Context = nil
		out.Records = append(out.Records, record{r, fs})
	}
	return out
}
