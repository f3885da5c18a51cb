package lambdaenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
)

// fnBinary is testdata/fn built once for the host, like `make build-host`.
var fnBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdaenv")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fnBinary = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", fnBinary, "./testdata/fn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/fn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type reply struct {
	Echo      json.RawMessage `json:"echo"`
	RequestID string          `json:"request_id"`
	ARN       string          `json:"arn"`
	Env       string          `json:"env"`
	PID       int             `json:"pid"`
	Deadline  float64         `json:"deadline_s"`
}

func newFunction(t *testing.T, mod func(*Config)) (*Function, *testutil.SyncBuffer) {
	t.Helper()
	out := &testutil.SyncBuffer{}
	cfg := Config{
		Name:            "TestFunction",
		Binary:          fnBinary,
		Env:             map[string]string{"TABLE_NAME": "tickets-local", "AWS_REGION": "us-east-1"},
		Timeout:         2 * time.Second,
		MemoryMB:        256,
		MaxEnvironments: 3,
		Output:          out,
	}
	if mod != nil {
		mod(&cfg)
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(0) })
	return f, out
}

func invoke(t *testing.T, f *Function, payload string) (*Result, reply) {
	t.Helper()
	res, err := f.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	var r reply
	if !res.Failed() {
		if err := json.Unmarshal(res.Payload, &r); err != nil {
			t.Fatalf("response %s: %v", res.Payload, err)
		}
	}
	return res, r
}

func TestInvokeColdThenWarm(t *testing.T) {
	f, out := newFunction(t, nil)
	first, r1 := invoke(t, f, `{"env":"TABLE_NAME","log":"hello"}`)
	if first.Failed() || !first.Cold || first.InitDuration <= 0 {
		t.Fatalf("first invocation: failed=%v cold=%v init=%v payload=%s", first.Failed(), first.Cold, first.InitDuration, first.Payload)
	}
	checks := []struct{ name, got, want string }{
		{"echo", string(r1.Echo), `{"env":"TABLE_NAME","log":"hello"}`},
		{"request id", r1.RequestID, first.RequestID},
		{"arn", r1.ARN, "arn:aws:lambda:eu-west-2:123456789012:function:TestFunction"},
		{"template env", r1.Env, "tickets-local"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	if r1.Deadline <= 0 || r1.Deadline > 2 {
		t.Errorf("deadline %v s from now, want within the 2 s timeout", r1.Deadline)
	}

	second, r2 := invoke(t, f, `{"env":"AWS_REGION"}`)
	if second.Cold || r2.PID != r1.PID {
		t.Errorf("second invocation cold=%v pid %d (first %d): want the warm environment reused", second.Cold, r2.PID, r1.PID)
	}
	if r2.Env != "eu-west-2" {
		t.Errorf("AWS_REGION = %q: reserved variables must override the template", r2.Env)
	}
	wants := []string{"[TestFunction] hello\n", "[TestFunction] stderr:hello\n", "Init Duration: ", "REPORT RequestId: " + first.RequestID}
	// stdout and stderr are copied by goroutines of their own: the stderr
	// line may land a moment after the invocation has answered.
	logs := out.String()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); logs = out.String() {
		if !slices.ContainsFunc(wants, func(w string) bool { return !strings.Contains(logs, w) }) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(logs, want) {
			t.Errorf("output lacks %q:\n%s", want, logs)
		}
	}
	if strings.Count(logs, "Init Duration") != 1 {
		t.Errorf("want exactly one Init Duration (one cold start):\n%s", logs)
	}
}

func TestInvokeFailures(t *testing.T) {
	tests := []struct {
		name     string
		payload  string
		wantType string
		wantMsg  string
	}{
		{"function error", `{"fail":"boom"}`, "errorString", "boom"},
		{"timeout", `{"sleep_ms":5000}`, ErrorTypeTimeout, "Task timed out after 1.00 seconds"},
		{"crash", `{"exit":true}`, ErrorTypeExit, "Runtime exited"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := newFunction(t, func(c *Config) { c.Timeout = time.Second })
			_, before := invoke(t, f, `{}`)
			res, _ := invoke(t, f, tc.payload)
			if res.ErrorType != tc.wantType || !strings.Contains(string(res.Payload), tc.wantMsg) {
				t.Fatalf("got type %q payload %s, want type %q containing %q", res.ErrorType, res.Payload, tc.wantType, tc.wantMsg)
			}
			after, r := invoke(t, f, `{}`)
			if after.Failed() {
				t.Fatalf("invocation after failure: %s", after.Payload)
			}
			// A function error keeps the environment; a timeout or crash replaces it.
			replaced := r.PID != before.PID
			if wantReplaced := tc.wantType != "errorString"; replaced != wantReplaced || after.Cold != wantReplaced {
				t.Errorf("environment replaced=%v cold=%v, want %v", replaced, after.Cold, wantReplaced)
			}
			if tc.wantType == ErrorTypeTimeout && processAlive(before.PID) {
				t.Errorf("timed-out process %d still running", before.PID)
			}
		})
	}
}

func TestInitFailure(t *testing.T) {
	f, out := newFunction(t, func(c *Config) { c.Env = map[string]string{"FAIL_INIT": "1"} })
	res, _ := invoke(t, f, `{}`)
	if res.ErrorType != ErrorTypeExit || !res.Cold {
		t.Fatalf("got %q cold=%v %s, want %s on a cold start", res.ErrorType, res.Cold, res.Payload, ErrorTypeExit)
	}
	if !strings.Contains(out.String(), "[TestFunction] init failing on purpose") {
		t.Errorf("init output not printed:\n%s", out)
	}
}

func TestConcurrentInvocationsScaleToCap(t *testing.T) {
	f, _ := newFunction(t, nil)
	const n = 9
	var wg sync.WaitGroup
	pids := make(chan int, n)
	errs := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.Invoke(context.Background(), []byte(`{"sleep_ms":300}`))
			if err != nil || res.Failed() {
				errs <- fmt.Sprintf("%v %v", err, res)
				return
			}
			var r reply
			_ = json.Unmarshal(res.Payload, &r)
			pids <- r.PID
		}()
	}
	wg.Wait()
	close(pids)
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	distinct := map[int]bool{}
	for p := range pids {
		distinct[p] = true
	}
	if len(distinct) < 2 || len(distinct) > 3 {
		t.Errorf("%d distinct environments, want 2..3 (overlapping requests scale, capped at 3)", len(distinct))
	}
	if got := f.Environments(); got > 3 {
		t.Errorf("%d environments exist, cap is 3", got)
	}
}

func TestCloseStopsProcesses(t *testing.T) {
	f, _ := newFunction(t, nil)
	_, r := invoke(t, f, `{}`)
	if syscall.Kill(r.PID, 0) != nil {
		t.Fatalf("process %d not running after invocation", r.PID)
	}
	f.Close(time.Second)
	if processAlive(r.PID) {
		t.Errorf("process %d still running after Close", r.PID)
	}
	if _, err := f.Invoke(context.Background(), []byte(`{}`)); err != ErrClosed {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
}

func TestNewRejectsMissingBinary(t *testing.T) {
	if _, err := New(Config{Name: "X", Binary: filepath.Join(t.TempDir(), "bootstrap")}); err == nil || !strings.Contains(err.Error(), "make build-host") {
		t.Errorf("New with a missing binary: %v, want an error naming make build-host", err)
	}
}

// processAlive reports whether pid still exists, allowing a moment for a
// killed process to be reaped.
func processAlive(pid int) bool {
	for range 20 {
		if syscall.Kill(pid, 0) != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
