package testutil

import (
	"testing"

	"github.com/levqor/serverless/shared/envconfig"
)

const readme = "# x\n\n## Configuration\n\n| variable | default | read by | meaning |\n| --- | --- | --- | --- |\n" +
	"| `TABLE_NAME` | required | all | t |\n| `TTL` | `24h` | tickets | d |\n| `AWS_REGION` | set by Lambda | all | r |\n\n## Next\n| `X` | y | all | z |\n"

// TestConfigProblems: each way code, README and template can disagree is
// reported, and agreement is not.
func TestConfigProblems(t *testing.T) {
	rows := ReadmeConfig(readme)
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	good := []envconfig.Var{{Name: "TABLE_NAME", Required: true}, {Name: "TTL", Default: "24h"}}
	cases := []struct {
		name string
		vars []envconfig.Var
		env  map[string]string
		want int
	}{
		{"agree", good, map[string]string{"TABLE_NAME": "t"}, 0},
		{"other default", []envconfig.Var{{Name: "TABLE_NAME", Required: true}, {Name: "TTL", Default: "1h"}}, map[string]string{"TABLE_NAME": "t"}, 1},
		{"undocumented", append(good, envconfig.Var{Name: "NEW"}), map[string]string{"TABLE_NAME": "t"}, 1},
		{"documented but not read", good[:1], map[string]string{"TABLE_NAME": "t"}, 1},
		{"required not set by the template", good, map[string]string{}, 1},
		{"template sets what nobody reads", good, map[string]string{"TABLE_NAME": "t", "STAGE": "dev"}, 1},
		{"required documented with a default", []envconfig.Var{{Name: "TABLE_NAME"}, {Name: "TTL", Default: "24h"}}, map[string]string{"TABLE_NAME": "t"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConfigProblems("tickets", tc.vars, rows, tc.env); len(got) != tc.want {
				t.Errorf("problems %q, want %d", got, tc.want)
			}
		})
	}
}
