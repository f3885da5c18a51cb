// Package stacktest builds and runs the local stack (infra/devstack) for
// tests, the way `make dev` does but on free ports: Build compiles every
// function of template.yaml for this machine and the devstack command into a
// temporary folder (no make needed), Start runs it, and Stack gives the API
// URL, the printed lines (function logs, bus events, schedule results) and a
// Stop that checks that Ctrl-C left no process behind.
package stacktest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/invoke"
	"github.com/levqor/serverless/infra/proc"
	"github.com/levqor/serverless/infra/samtemplate"
)

// Binaries is what Build produced.
type Binaries struct {
	Root     string // module root
	Template string // template.yaml
	Bin      string // <Bin>/<function dir>/bootstrap
	Devstack string // the devstack command
}

// Build compiles every function in template.yaml for this machine with the
// Lambda build's flags (invoke.BuildHost: the same flags and stamps as
// `make invoke`), concurrently, and infra/devstack into t.TempDir(). When
// $LEVQOR_PREBUILT is set (make test, make faults), it uses the binaries
// built there instead and compiles nothing. It fails the test with the
// compiler's output when something does not build or a prebuilt binary is
// missing.
func Build(t testing.TB) Binaries {
	t.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	b := Binaries{Root: root, Template: filepath.Join(root, "template.yaml")}
	tpl, err := samtemplate.Load(b.Template, samtemplate.Options{})
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	// invoke.Binary takes each from $LEVQOR_PREBUILT when it is set.
	dir := os.Getenv(invoke.PrebuiltEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	if b.Bin, err = filepath.Abs(dir); err != nil {
		t.Fatal(err)
	}
	b.Devstack = filepath.Join(b.Bin, "devstack")
	errs := make([]error, len(tpl.Functions))
	var wg sync.WaitGroup
	for i, fn := range tpl.Functions {
		wg.Go(func() {
			_, errs[i] = invoke.Binary(context.Background(), root, "./functions/"+fn.Dir, filepath.Join(b.Bin, fn.Dir, "bootstrap"))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(invoke.PrebuiltEnv) == "" {
		goCmd(t, root, "build", "-o", b.Devstack, "./infra/devstack")
	} else if _, err := os.Stat(b.Devstack); err != nil {
		t.Fatalf("%s: %v (make build-test-bins builds it)", invoke.PrebuiltEnv, err)
	}
	return b
}

func goCmd(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Stack is a running devstack.
type Stack struct {
	// URL is the local API's base URL.
	URL string
	// Table is the name of the table Start gave the devstack.
	Table string

	t       testing.TB
	bin     string
	cmd     *exec.Cmd
	exited  chan struct{}
	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line
	stopped bool
	ddbPort string
}

var readyLine = regexp.MustCompile(`\[devstack\] ready: API on (http://\S+)`)

// Start runs the devstack from b on free ports with a fresh table (reusing
// $DYNAMODB_ENDPOINT when set, as `make test` sets it) and waits until it
// says it is ready. extra flags are appended, so they override Start's own
// (the flag package keeps a flag's last value; the fault tests put their
// DynamoDB proxy in -dynamodb-endpoint that way). The stack is stopped when
// the test ends; call Stop to check the shutdown yourself.
func Start(t testing.TB, b Binaries, extra ...string) *Stack {
	t.Helper()
	table := fmt.Sprintf("e2e-%d-%06d", time.Now().Unix(), rand.IntN(1_000_000))
	args := []string{"-template", b.Template, "-bin", b.Bin, "-addr", "127.0.0.1:0", "-table", table}
	if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
		args = append(args, "-dynamodb-endpoint", ep)
	}
	args = append(args, extra...)
	cmd := exec.Command(b.Devstack, args...)
	cmd.Dir = b.Root
	// A process group of its own and, on Linux, the parent-death signal:
	// a crashed test binary leaves no devstack (and so no functions) behind.
	cmd.SysProcAttr = proc.Attr()
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	s := &Stack{Table: table, t: t, bin: b.Bin, cmd: cmd, exited: make(chan struct{}), changed: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start devstack: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			s.add(sc.Text())
		}
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	m, ok := s.WaitFor(readyLine, 0, 90*time.Second)
	if !ok {
		t.Fatalf("devstack did not become ready; its output:\n%s", s.Tail(60))
	}
	s.URL = m[1]
	// Its own DynamoDB Local (it says it starts one) is part of the stack.
	if _, own := s.WaitFor(regexp.MustCompile(`\[devstack\] starting DynamoDB Local`), 0, 0); own {
		if m, ok := s.WaitFor(regexp.MustCompile(`DynamoDB Local on http://127\.0\.0\.1:(\d+)`), 0, 0); ok {
			s.ddbPort = m[1]
		}
	}
	return s
}

// DynamoDB is the endpoint of the DynamoDB Local the stack uses: its own,
// or $DYNAMODB_ENDPOINT's.
func (s *Stack) DynamoDB() string {
	if s.ddbPort != "" {
		return "http://127.0.0.1:" + s.ddbPort
	}
	return os.Getenv("DYNAMODB_ENDPOINT")
}

func (s *Stack) add(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, line)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Len returns how many lines the stack has printed so far (a mark for WaitFor).
func (s *Stack) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lines)
}

// Lines returns the printed lines from index from on.
func (s *Stack) Lines(from int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from > len(s.lines) {
		return nil
	}
	return append([]string(nil), s.lines[from:]...)
}

// Tail returns the last n printed lines, for failure messages.
func (s *Stack) Tail(n int) string {
	lines := s.Lines(0)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// WaitFor waits up to timeout for a printed line, at index from or later,
// that matches re, and returns its submatches.
func (s *Stack) WaitFor(re *regexp.Regexp, from int, timeout time.Duration) ([]string, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i := from; i < len(s.lines); i++ {
			if m := re.FindStringSubmatch(s.lines[i]); m != nil {
				s.mu.Unlock()
				return m, true
			}
		}
		from = len(s.lines)
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-s.exited:
			return nil, false
		case <-deadline.C:
			return nil, false
		}
	}
}

// Stop sends SIGINT (Ctrl-C) and waits for the devstack to exit. It returns
// an error when it does not exit within 20 s (it is then killed) or when a
// function process or its DynamoDB Local outlives it.
func (s *Stack) Stop() error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = proc.KillGroup(s.cmd.Process.Pid)
		<-s.exited
		return fmt.Errorf("devstack did not stop within 20 s of SIGINT; output:\n%s", s.Tail(30))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		left := s.leftovers()
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes left running after Ctrl-C: %s", strings.Join(left, "; "))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Exited is closed when the devstack process has exited; ExitCode is then
// its exit status.
func (s *Stack) Exited() <-chan struct{} { return s.exited }

// ExitCode is the devstack's exit status once Exited is closed (-1 before).
func (s *Stack) ExitCode() int {
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// KillDynamoDB kills the stack's own DynamoDB Local (started without
// -dynamodb-endpoint) with SIGKILL, as a crash would. It fails the test
// when there is none.
func (s *Stack) KillDynamoDB() {
	s.t.Helper()
	if s.ddbPort == "" {
		s.t.Fatal("KillDynamoDB: this stack uses an outside DynamoDB")
	}
	for _, l := range s.leftovers() {
		pid, cmdline, _ := strings.Cut(l, " ")
		if strings.Contains(cmdline, "DynamoDBLocal") {
			n, _ := strconv.Atoi(pid)
			if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
				s.t.Fatal(err)
			}
			return
		}
	}
	s.t.Fatal("KillDynamoDB: no DynamoDB Local process found")
}

// usesTable reports whether process pid (cmdline given) belongs to this
// stack: the devstack names the table in its flags, a function has it in
// its environment.
func (s *Stack) usesTable(pid, cmdline string) bool {
	if strings.Contains(cmdline, "-table "+s.Table) {
		return true
	}
	env, err := os.ReadFile(filepath.Join("/proc", pid, "environ"))
	return err == nil && strings.Contains("\x00"+string(env)+"\x00", "\x00TABLE_NAME="+s.Table+"\x00")
}

// leftovers lists running processes started from the stack's binaries for
// its table, or its own DynamoDB Local (Linux /proc; nothing elsewhere).
func (s *Stack) leftovers() []string {
	entries, _ := os.ReadDir("/proc")
	var left []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && strings.Contains(string(stat), ") Z ") {
			continue // a zombie has exited
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		cmdline := strings.Join(args, " ")
		// Ours: started from the stack's binaries and working on its table
		// (other stacks may run the same binaries at the same time).
		ours := strings.HasPrefix(args[0], s.bin) && s.usesTable(e.Name(), cmdline)
		if s.ddbPort != "" && strings.Contains(cmdline, "DynamoDBLocal") && strings.Contains(cmdline, "-port "+s.ddbPort) {
			ours = true
		}
		if ours {
			left = append(left, e.Name()+" "+cmdline)
		}
	}
	return left
}
