// Package testutil holds the helpers that tests in several packages share.
package testutil

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// StalledServer is an endpoint that takes requests and never answers, as
// DynamoDB does when it stalls, until the client gives up (or 30 s). It is
// closed when the test ends.
func StalledServer(tb testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client going away
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
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
