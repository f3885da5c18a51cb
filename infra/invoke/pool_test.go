package invoke

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/infra/testutil"
)

type reply struct {
	Echo      json.RawMessage `json:"event"`
	RequestID string          `json:"request_id"`
	Env       string          `json:"env"`
	PID       int             `json:"pid"`
	Deadline  float64         `json:"deadline_s"`
}

// newPool is testdata/hello in a pool of at most three environments, with
// a 2 s timeout unless fn changes it.
func newPool(t *testing.T, mod func(*samtemplate.Function)) (*Pool, *testutil.SyncBuffer) {
	t.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := Binary(context.Background(), root, "./infra/invoke/testdata/hello", filepath.Join(t.TempDir(), "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	rie, err := RIE(root)
	if err != nil {
		t.Fatal(err)
	}
	fn := &samtemplate.Function{LogicalID: "TestFunction", Timeout: 2, MemorySize: 256,
		Env: map[string]string{"TABLE_NAME": "tickets-local", "AWS_REGION": "us-east-1"}}
	if mod != nil {
		mod(fn)
	}
	out := &testutil.SyncBuffer{}
	p, err := NewPool(PoolConfig{Name: fn.LogicalID, RIE: rie, Bootstrap: bin, Env: Env(fn, nil), MaxEnvironments: 3, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, out
}

func invokePool(t *testing.T, p *Pool, payload string) (*Result, reply) {
	t.Helper()
	res, err := p.Invoke(context.Background(), []byte(payload))
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

func TestPoolColdThenWarm(t *testing.T) {
	p, out := newPool(t, nil)
	first, r1 := invokePool(t, p, `{"env":"TABLE_NAME","log":"hello"}`)
	if first.Failed() || !first.Cold {
		t.Fatalf("first invocation: failed=%v cold=%v payload=%s", first.Failed(), first.Cold, first.Payload)
	}
	checks := []struct{ name, got, want string }{
		{"echo", string(r1.Echo), `{"env":"TABLE_NAME","log":"hello"}`},
		{"request id", r1.RequestID, first.RequestID},
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

	second, r2 := invokePool(t, p, `{"env":"AWS_REGION"}`)
	if second.Cold || r2.PID != r1.PID {
		t.Errorf("second invocation cold=%v pid %d (first %d): want the warm environment reused", second.Cold, r2.PID, r1.PID)
	}
	if r2.Env != "us-east-1" {
		t.Errorf("AWS_REGION = %q: the template's variables reach the function", r2.Env)
	}
	wants := []string{"[TestFunction] hello\n", "[TestFunction] stderr:hello\n", "Init Duration: ", "[TestFunction] REPORT RequestId: " + first.RequestID}
	// The emulator's output is copied as it comes: its REPORT line may land
	// a moment after the invocation has answered.
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

func TestPoolFailures(t *testing.T) {
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
			p, out := newPool(t, func(fn *samtemplate.Function) { fn.Timeout = 1 })
			_, before := invokePool(t, p, `{}`)
			res, _ := invokePool(t, p, tc.payload)
			if res.ErrorType != tc.wantType || !strings.Contains(string(res.Payload), tc.wantMsg) {
				t.Fatalf("got type %q payload %s, want type %q containing %q", res.ErrorType, res.Payload, tc.wantType, tc.wantMsg)
			}
			after, r := invokePool(t, p, `{}`)
			if after.Failed() {
				t.Fatalf("invocation after failure: %s", after.Payload)
			}
			// A function error keeps the environment; a timeout or crash replaces it.
			replaced := r.PID != before.PID
			if wantReplaced := tc.wantType != "errorString"; replaced != wantReplaced || after.Cold != wantReplaced {
				t.Errorf("environment replaced=%v cold=%v, want %v", replaced, after.Cold, wantReplaced)
			}
			if tc.wantType == ErrorTypeTimeout {
				if processAlive(before.PID) {
					t.Errorf("timed-out process %d still running", before.PID)
				}
				if !strings.Contains(out.String(), "[TestFunction] ") || !strings.Contains(out.String(), "Z RequestId: "+res.RequestID+" Error: Task timed out") {
					t.Errorf("no timeout line for %s in the output:\n%s", res.RequestID, out)
				}
			}
		})
	}
}

func TestPoolInitFailure(t *testing.T) {
	p, out := newPool(t, func(fn *samtemplate.Function) { fn.Env["FAIL_INIT"] = "1" })
	res, _ := invokePool(t, p, `{}`)
	if res.ErrorType != ErrorTypeExit || !res.Cold {
		t.Fatalf("got %q cold=%v %s, want %s on a cold start", res.ErrorType, res.Cold, res.Payload, ErrorTypeExit)
	}
	if !strings.Contains(out.String(), "[TestFunction] init failing on purpose") {
		t.Errorf("init output not printed:\n%s", out)
	}
}

func TestPoolScalesToCap(t *testing.T) {
	p, out := newPool(t, nil)
	defer func() {
		if t.Failed() {
			t.Logf("output:\n%s", out)
		}
	}()
	const n = 9
	var wg sync.WaitGroup
	pids := make(chan int, n)
	errs := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Invoke(context.Background(), []byte(`{"sleep_ms":300}`))
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
	if got := p.Environments(); got > 3 {
		t.Errorf("%d environments exist, cap is 3", got)
	}
}

func TestPoolCloseStopsProcesses(t *testing.T) {
	p, _ := newPool(t, nil)
	_, r := invokePool(t, p, `{}`)
	if syscall.Kill(r.PID, 0) != nil {
		t.Fatalf("process %d not running after invocation", r.PID)
	}
	p.Close()
	if processAlive(r.PID) {
		t.Errorf("process %d still running after Close", r.PID)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{}`)); err != ErrClosed {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
}

func TestNewPoolRejectsMissingBinary(t *testing.T) {
	if _, err := NewPool(PoolConfig{Name: "X", Bootstrap: filepath.Join(t.TempDir(), "bootstrap")}); err == nil || !strings.Contains(err.Error(), "make build-host") {
		t.Errorf("NewPool with a missing binary: %v, want an error naming make build-host", err)
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

func TestFunctionError(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"aws-lambda-go error", `{"errorMessage":"boom","errorType":"errorString"}`, "errorString"},
		{"with a stack trace", `{"errorMessage":"x","errorType":"Runtime.Panic","stackTrace":[]}`, "Runtime.Panic"},
		{"HTTP response", `{"statusCode":500,"body":"{\"errorType\":\"x\"}"}`, ""},
		{"object with other keys", `{"errorType":"x","status":"ok"}`, ""},
		{"empty type", `{"errorMessage":"x","errorType":""}`, ""},
		{"not JSON", `Task timed out after 1.00 seconds`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FunctionError([]byte(tc.body)); got != tc.want {
				t.Errorf("FunctionError(%s) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}

func TestTimedOut(t *testing.T) {
	for body, want := range map[string]bool{
		"Task timed out after 3.00 seconds":               true,
		"Task timed out after 900.00 seconds":             true,
		"Task timed out":                                  false,
		"Task timed out after lunch, seconds":             false,
		`{"message":"Task timed out after 3.00 seconds"}`: false,
	} {
		if got := TimedOut([]byte(body)); got != want {
			t.Errorf("TimedOut(%q) = %v, want %v", body, got, want)
		}
	}
}

// TestPoolReplacesDeadIdleEnvironment: an environment whose emulator died
// while idle is not handed out; the next invocation starts a fresh one.
func TestPoolReplacesDeadIdleEnvironment(t *testing.T) {
	p, _ := newPool(t, nil)
	invokePool(t, p, `{}`)
	p.mu.Lock()
	e := p.idle[0]
	p.mu.Unlock()
	_ = e.cmd.Process.Kill()
	<-e.done
	res, _ := invokePool(t, p, `{}`)
	if res.Failed() || !res.Cold {
		t.Errorf("after the idle emulator died: failed=%v cold=%v %s, want a cold start that succeeds", res.Failed(), res.Cold, res.Payload)
	}
}
