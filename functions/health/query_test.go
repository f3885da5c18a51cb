package main

import (
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/problem"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw     string
		deep    bool
		wantErr bool
	}{
		{"", false, false},
		{"deep=1", true, false},
		{"deep=true", true, false},
		{"deep=TRUE", true, false},
		{"deep=0", false, false},
		{"deep=false", false, false},
		{"deep=", false, false},
		{"deep", false, false},
		{"t=1700000000&deep=1", true, false},
		{"deep=1&deep=0", false, false},
		{"deep=%31", true, false},
		{"de%65p=1", true, false},
		{"deeper=1&Deep=1", false, false},
		{"other=%zz&deep=1", true, false},
		{"deep=yes", false, true},
		{"deep=2", false, true},
		{"deep=1&deep=on", false, true},
		{"deep=%zz", false, true},
		{"deep=1%00", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			deep, err := parseQuery(tc.raw)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseQuery(%q) error = %v, want error %v", tc.raw, err, tc.wantErr)
			}
			if err != nil {
				doc, _ := problem.From(err, "cid")
				if doc.Status != 400 || len(doc.Errors) != 1 || doc.Errors[0].Field != "deep" {
					t.Errorf("problem = %+v", doc)
				}
			}
			if deep != tc.deep {
				t.Errorf("parseQuery(%q) = %v, want %v", tc.raw, deep, tc.deep)
			}
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "deep=1", "deep=true&x=y", "de%65p=%31", "deep=%zz", "&&=&deep", "deep=1&deep=no"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		deep, err := parseQuery(raw)
		if err != nil {
			if deep || problem.CodeOf(err) != problem.Validation {
				t.Fatalf("parseQuery(%q) = %v, %v", raw, deep, err)
			}
			return
		}
		// deep can only be switched on by a parameter that names it.
		if deep && !strings.Contains(raw, "deep") && !strings.Contains(raw, "%") {
			t.Fatalf("parseQuery(%q) = true without a deep parameter", raw)
		}
	})
}
