package templatetest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deployEnvs returns, for each [<env>.deploy.parameters] table of a
// samconfig.toml, its key = value lines (values as written).
func deployEnvs(text string) map[string]map[string]string {
	envs := map[string]map[string]string{}
	var cur map[string]string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			cur = nil
			if env, ok := strings.CutSuffix(strings.Trim(line, "[]"), ".deploy.parameters"); ok {
				cur = map[string]string{}
				envs[env] = cur
			}
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && cur != nil && !strings.HasPrefix(line, "#") {
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return envs
}

// TestSamconfigRedeployable checks that every deploy environment can be
// deployed again with nothing changed (`make deploy` re-run): SAM CLI fails
// on an empty changeset unless fail_on_empty_changeset is false.
func TestSamconfigRedeployable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		text string
		ok   bool
	}{
		{"samconfig.toml", string(b), true},
		{"dev without the flag", strings.Replace(string(b), "fail_on_empty_changeset = false", "", 1), false},
		{"flag true", "[x.deploy.parameters]\nfail_on_empty_changeset = true\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			envs := deployEnvs(tc.text)
			if len(envs) == 0 {
				t.Fatal("no [<env>.deploy.parameters] table")
			}
			ok := true
			for env, kv := range envs {
				if kv["fail_on_empty_changeset"] != "false" {
					ok = false
					if tc.ok {
						t.Errorf("[%s.deploy.parameters]: fail_on_empty_changeset = %q, want false", env, kv["fail_on_empty_changeset"])
					}
				}
			}
			if !ok && tc.ok || ok && !tc.ok {
				t.Errorf("redeployable = %v, want %v", ok, tc.ok)
			}
		})
	}
}
