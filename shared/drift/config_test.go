package drift

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseFunctionNames(t *testing.T) {
	b := baseline(t)
	cases := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"", map[string]string{}, ""},
		{"HealthFunction=h1, TicketsFunction = t1 ,", map[string]string{"HealthFunction": "h1", "TicketsFunction": "t1"}, ""},
		{"HealthFunction", nil, "not LogicalId=function-name"},
		{"HealthFunction=", nil, "not LogicalId=function-name"},
		{"=h1", nil, "not LogicalId=function-name"},
		{"HealthFunction=a,HealthFunction=b", nil, "given twice"},
		{"HelthFunction=a", nil, "not a function of baseline v12.12"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFunctionNames(tc.in, b)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseSkip(t *testing.T) {
	cases := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"lambda, APIGateway,cloudformation,events", []string{"lambda", "apigateway", "cloudformation", "events"}, ""},
		{"lambda,s3", nil, `unknown service "s3"`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSkip(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for _, s := range tc.want {
				if !strings.Contains(got[s], "DRIFT_SKIP") {
					t.Errorf("reason for %s = %q, want it to name DRIFT_SKIP", s, got[s])
				}
			}
		})
	}
}

func FuzzParseFunctionNames(f *testing.F) {
	b, err := Current()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "HealthFunction=h", "a=b,c", "HealthFunction=x,HealthFunction=y", ",,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseFunctionNames(s, b)
		if err != nil {
			return
		}
		for id, name := range m {
			if _, ok := b.Function(id); !ok || name == "" || strings.ContainsAny(name, ",") {
				t.Fatalf("accepted %q -> %q from %q", id, name, s)
			}
		}
	})
}

func FuzzParseSkip(f *testing.F) {
	for _, s := range []string{"", "lambda", "lambda,,events", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseSkip(s)
		if err != nil {
			return
		}
		for k := range m {
			if !slices.Contains(Services, k) {
				t.Fatalf("accepted unknown service %q", k)
			}
		}
	})
}
