package templatetest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSamBuildStampsTheCommit builds a function the way `sam build` does
// (aws-lambda-builders' makefile workflow): the tree is copied without
// .git into a scratch folder, then `make --makefile <source>/Makefile
// build-<LogicalId>` runs there with ARTIFACTS_DIR set. The binary must
// carry the source's commit, not "dev". The second case runs the copy's own
// Makefile, which has no git history to read, so its binary must not hold
// the commit: the check can fail.
func TestSamBuildStampsTheCommit(t *testing.T) {
	src := root(t)
	out, err := exec.Command("git", "-C", src, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("git rev-parse in %s: %v", src, err)
		}
		t.Skipf("not a git checkout: %v", err)
	}
	commit := strings.TrimSpace(string(out))
	scratch := copyTracked(t, src)

	cases := []struct {
		name     string
		makefile string
		stamped  bool
	}{
		{"sam build: the source's Makefile in a scratch copy", filepath.Join(src, "Makefile"), true},
		{"the copy's own Makefile, no git history", filepath.Join(scratch, "Makefile"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			art := t.TempDir()
			cmd := exec.Command("make", "--makefile", tc.makefile, "build-HealthFunction")
			cmd.Dir = scratch
			cmd.Env = append(withoutVars(os.Environ(), "BUILD", "VERSION", "MAKEFLAGS", "MFLAGS"), "ARTIFACTS_DIR="+art)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-HealthFunction: %v\n%s", err, b)
			}
			// -trimpath keeps -ldflags out of the binary's build info, so the
			// stamp is looked for in the binary itself: a 7+ hex digit commit
			// does not turn up by chance.
			b, err := os.ReadFile(filepath.Join(art, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(b, []byte(commit)); got != tc.stamped {
				t.Errorf("binary holds the commit %s: %v, want %v", commit, got, tc.stamped)
			}
		})
	}
}

// copyTracked copies the tree as sam build sees it (the files git tracks or
// would track: ignored build output left out) into a new folder without
// .git.
func copyTracked(t *testing.T, src string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(src, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func withoutVars(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
