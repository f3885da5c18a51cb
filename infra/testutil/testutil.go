// Package testutil holds the helpers that tests in several packages share.
package testutil

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
)

// SyncBuffer collects output written from several goroutines (concurrent
// requests' log lines, a child process's stdout and stderr): a bytes.Buffer
// behind a mutex. Its zero value is ready to use. Write never fails.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p. It never returns an error.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ReadmeSection returns the text of README.md's "## heading" section, or
// the whole file when heading is "", with every run of white space made
// one space (README's lines break anywhere): what the tests that hold
// README to the code read. It fails the test when README cannot be read.
func ReadmeSection(tb testing.TB, heading string) string {
	tb.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	text := string(b)
	if heading != "" {
		_, text, _ = strings.Cut(text, "\n## "+heading+"\n")
		text, _, _ = strings.Cut(text, "\n## ")
	}
	return strings.Join(strings.Fields(text), " ")
}
