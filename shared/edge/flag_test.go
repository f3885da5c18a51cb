package edge

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/problem"
)

// TestFlag is health's deep parameter, every way a client sends it.
func TestFlag(t *testing.T) {
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
			deep, err := Flag(events.APIGatewayV2HTTPRequest{RawQueryString: tc.raw}, "deep")
			if (err != nil) != tc.wantErr {
				t.Fatalf("Flag(%q) error = %v, want error %v", tc.raw, err, tc.wantErr)
			}
			if err != nil {
				doc, _ := problem.From(err, "cid")
				if doc.Status != 400 || len(doc.Errors) != 1 || doc.Errors[0].Field != "deep" {
					t.Errorf("problem = %+v", doc)
				}
			}
			if deep != tc.deep {
				t.Errorf("Flag(%q) = %v, want %v", tc.raw, deep, tc.deep)
			}
		})
	}
}

func FuzzFlag(f *testing.F) {
	for _, s := range []string{"", "deep=1", "deep=true&x=y", "de%65p=%31", "deep=%zz", "&&=&deep", "deep=1&deep=no"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		deep, err := Flag(events.APIGatewayV2HTTPRequest{RawQueryString: raw}, "deep")
		if err != nil {
			if deep || problem.CodeOf(err) != problem.Validation {
				t.Fatalf("Flag(%q) = %v, %v", raw, deep, err)
			}
			return
		}
		// deep can only be switched on by a parameter that names it.
		if deep && !strings.Contains(raw, "deep") && !strings.Contains(raw, "%") {
			t.Fatalf("Flag(%q) = true without a deep parameter", raw)
		}
	})
}

// TestFlagLatest is the drift route's latest parameter.
func TestFlagLatest(t *testing.T) {
	cases := []struct {
		raw     string
		latest  bool
		wantErr bool
	}{
		{"", false, false}, {"latest=1", true, false}, {"latest=TRUE", true, false}, {"latest=0", false, false},
		{"latest=", false, false}, {"t=123&latest=1", true, false}, {"latest=1&latest=0", false, false},
		{"latest=yes", false, true}, {"latest=%zz", false, true}, {"x=%zz", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			latest, err := Flag(events.APIGatewayV2HTTPRequest{RawQueryString: tc.raw}, "latest")
			if latest != tc.latest || (err != nil) != tc.wantErr {
				t.Errorf("Flag(%q) = %v, %v; want %v, error %v", tc.raw, latest, err, tc.latest, tc.wantErr)
			}
			if err != nil && problem.CodeOf(err) != problem.Validation {
				t.Errorf("error %v is not a validation problem", err)
			}
		})
	}
}
