package metrics

import (
	"bytes"
	"testing"
)

func TestCheck(t *testing.T) {
	line := func(f func(w *Writer) error) []byte {
		var b bytes.Buffer
		if err := f(&Writer{W: &b}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	cases := []struct {
		name string
		line []byte
		ok   bool
	}{
		{"cold start", line(func(w *Writer) error { return w.ColdStart("levqor", "fn") }), true},
		{"a catalogued metric", line(func(w *Writer) error {
			return w.Emit(NamespaceDrift, []Dimension{{"Service", "levqor"}}, Metric{Name: "ChecksFailed", Unit: Count, Value: 1})
		}), true},
		{"not catalogued", line(func(w *Writer) error {
			return w.Emit(NamespaceDrift, []Dimension{{"Service", "levqor"}}, Metric{Name: "Surprise", Unit: Count, Value: 1})
		}), false},
		{"other dimensions", line(func(w *Writer) error {
			return w.Emit(NamespaceLambda, []Dimension{{"FunctionName", "fn"}}, Metric{Name: "ColdStart", Unit: Count, Value: 1})
		}), false},
		{"not EMF", []byte(`{"level":"info"}`), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check(tc.line); (err == nil) != tc.ok {
				t.Errorf("Check = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
