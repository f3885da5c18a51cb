package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestMinifiedIsCurrent: the build the function serves is the source's,
// so an edit to client-logger.js without make logger fails here.
func TestMinifiedIsCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(root, Source))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Minify(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, Output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run make logger and commit it", Output)
	}
}

func TestMinify(t *testing.T) {
	cases := []struct {
		name, src, want string
		wantErr         bool
	}{
		{"folds and renames", "export const answer = 40 + 2; // the answer\n", "as answer", false},
		{"keeps import.meta", "export const self = import.meta.url;\n", "import.meta.url", false},
		{"syntax error", "export const = ;", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Minify([]byte(tc.src))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (!bytes.Contains(out, []byte(tc.want)) || bytes.Contains(out, []byte("//"))) {
				t.Errorf("minified %q to %q", tc.src, out)
			}
		})
	}
}
