package proc

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether pid has exited (absent, or a zombie nobody reaped yet).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	// The state follows the parenthesised command name.
	s := string(b)
	return strings.HasPrefix(strings.TrimSpace(s[strings.LastIndexByte(s, ')')+1:]), "Z")
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if gone(pid) {
			return
		}
	}
	t.Fatalf("pid %d still running", pid)
}

// startShell starts a shell with Attr that starts a grandchild and prints
// its pid, the shape of the emulator starting a function.
func startShell(t *testing.T) (cmd *exec.Cmd, grandchild int) {
	t.Helper()
	cmd = exec.Command("sh", "-c", "sleep 30 & echo $!; wait")
	cmd.SysProcAttr = Attr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("no sh: %v", err)
	}
	t.Cleanup(func() { _ = KillGroup(cmd.Process.Pid); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if grandchild, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
		t.Fatal(err)
	}
	return cmd, grandchild
}

func TestGroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(pid int) error
	}{
		{"KillGroup", KillGroup},
		{"SignalGroup SIGTERM", func(pid int) error { return SignalGroup(pid, syscall.SIGTERM) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, grandchild := startShell(t)
			if pgid, err := syscall.Getpgid(cmd.Process.Pid); err != nil || pgid != cmd.Process.Pid {
				t.Fatalf("child's process group %d (%v), want its own %d", pgid, err, cmd.Process.Pid)
			}
			if err := tc.end(cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			waitGone(t, grandchild) // the whole group went, not just the shell
		})
	}
}

func TestKillGroupWithoutGroup(t *testing.T) {
	cmd := exec.Command("sleep", "30") // no Attr: shares our process group
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep: %v", err)
	}
	if err := KillGroup(cmd.Process.Pid); err != nil {
		t.Fatalf("KillGroup: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("sleep exited cleanly, want killed")
	}
	if err := KillGroup(cmd.Process.Pid); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("KillGroup(gone) = %v, want ESRCH", err)
	}
}

func TestEnviron(t *testing.T) {
	got := Environ(map[string]string{"B": "2", "A": "x=y", "EMPTY": ""})
	want := []string{"A=x=y", "B=2", "EMPTY="}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Environ = %q, want %q", got, want)
	}
	if got := Environ(nil); len(got) != 0 {
		t.Errorf("Environ(nil) = %q", got)
	}
}
