// Package testutil holds the helpers that tests in several packages share.
package testutil

import (
	"bytes"
	"sync"
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
