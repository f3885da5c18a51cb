// Package proc starts the local stack's helper processes (DynamoDB Local,
// the runtime interface emulator, function bootstraps) the one way they all
// need: in a process group of their own, so that a single signal ends the
// process and everything it started (the emulator's function, a shell's
// java), and on Linux with a parent-death signal, so that none outlives the
// Go process that started it, even when that process is killed.
//
// Use it as cmd.SysProcAttr = proc.Attr() before cmd.Start, then
// SignalGroup or KillGroup with cmd.Process.Pid.
package proc

import (
	"bytes"
	"sort"
	"sync"
	"syscall"
)

// SignalGroup sends sig to the process group led by pid (a process started
// with Attr). It returns syscall.Kill's error, ESRCH when the group is gone.
func SignalGroup(pid int, sig syscall.Signal) error {
	// The negative pid addresses the whole group.
	return syscall.Kill(-pid, sig)
}

// KillGroup sends SIGKILL to the process group led by pid, or to pid alone
// when the group cannot be signalled (the process was not started with
// Attr). It returns the error of that last attempt, ESRCH when the process
// is already gone.
func KillGroup(pid int) error {
	if err := SignalGroup(pid, syscall.SIGKILL); err != nil {
		return syscall.Kill(pid, syscall.SIGKILL)
	}
	return nil
}

// Environ renders env as a child's environment (cmd.Env): "NAME=value"
// entries sorted by name, so the child's environment, and any log of it,
// is the same from run to run.
func Environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Tail keeps the last Max bytes written to it: a child's output, for error
// messages. It is safe for concurrent use, and Write never fails.
type Tail struct {
	Max int
	mu  sync.Mutex
	buf []byte
}

// Write keeps p, dropping what is older than the last Max bytes.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.Max {
		t.buf = t.buf[len(t.buf)-t.Max:]
	}
	return len(p), nil
}

// String returns what is kept, white space around it trimmed.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
