package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/levqor/serverless/infra/awsid"
)

// Error types Lambda reports for failures that are not the function's own.
const (
	// ErrorTypeTimeout is Lambda's type when an invocation outlives the function timeout.
	ErrorTypeTimeout = "Sandbox.Timedout"
	// ErrorTypeExit is Lambda's type when the runtime process exits during init or an invocation.
	ErrorTypeExit = "Runtime.ExitError"
	// ErrorTypeUnknown is Lambda's type for a failure it cannot attribute:
	// here, an answer of the emulator's own.
	ErrorTypeUnknown = "Runtime.Unknown"
)

// ErrClosed is returned by Pool.Invoke after Close.
var ErrClosed = errors.New("invoke: pool closed")

// PoolConfig describes one function. Name, RIE and Bootstrap are required.
type PoolConfig struct {
	// Name is the function's name, written before each of its log lines.
	Name string
	// RIE and Bootstrap are the emulator and the function binaries.
	RIE, Bootstrap string
	// Env is the function's whole environment (see Env); its
	// AWS_LAMBDA_FUNCTION_TIMEOUT is the timeout the emulator enforces.
	Env []string
	// MaxEnvironments caps concurrent execution environments (default 4).
	MaxEnvironments int
	// Output receives every environment's log lines (default os.Stdout).
	Output io.Writer
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	// Payload is the function's response, or Lambda's error document
	// {"errorMessage","errorType"} when ErrorType is set.
	Payload []byte
	// ErrorType is empty on success; otherwise the function's own error type
	// or one of the ErrorType constants.
	ErrorType string
	// Cold reports that the invocation started an execution environment.
	Cold bool
}

// Failed reports whether the invocation ended in a function error.
func (r *Result) Failed() bool { return r.ErrorType != "" }

// Pool runs one function the way Lambda scales it: each execution
// environment is an emulator (Start) with its own bootstrap process, handling
// one invocation at a time, and overlapping invocations get environments of
// their own up to MaxEnvironments; later ones queue rather than being
// throttled. An environment whose invocation timed out or crashed is
// replaced, as Lambda replaces it. `make dev` runs every function in one.
type Pool struct {
	cfg PoolConfig
	sem chan struct{}

	mu       sync.Mutex
	idle     []*Emulator // most recently used last
	all      map[*Emulator]struct{}
	closed   bool
	stopping sync.WaitGroup // environments being stopped, which Close waits for
}

// NewPool returns a Pool for cfg; no process starts until the first Invoke.
// It returns an error when Name is missing or a binary does not exist.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.Name == "" {
		return nil, errors.New("invoke: function name is required")
	}
	for _, p := range []string{cfg.Bootstrap, cfg.RIE} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("invoke: %s: %w (run `make build-host` and `make deps`)", cfg.Name, err)
		}
	}
	if cfg.MaxEnvironments <= 0 {
		cfg.MaxEnvironments = 4
	}
	if cfg.Output == nil {
		cfg.Output = os.Stdout
	}
	return &Pool{cfg: cfg, sem: make(chan struct{}, cfg.MaxEnvironments), all: map[*Emulator]struct{}{}}, nil
}

// Invoke runs payload in an idle environment, or a new one (a cold start)
// when none is idle. Like Lambda, an invocation that started runs to its end
// or its timeout even if ctx is cancelled meanwhile; ctx bounds the wait for
// an environment and its start. Function failures (error response, crash,
// timeout) are reported in Result.ErrorType, not as an error; the error is
// ErrClosed, ctx's error, or a failure to start the emulator.
func (p *Pool) Invoke(ctx context.Context, payload []byte) (*Result, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	e, cold, err := p.take(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{RequestID: awsid.UUID(), Cold: cold}
	status, body, err := e.call(context.WithoutCancel(ctx), res.RequestID, payload)
	keep := classify(res, status, body, err)
	if !keep {
		// The emulator prints no REPORT line for a crash: say what happened.
		p.logLine(time.Now().UTC().Format(time.RFC3339) + " " + errorMessage(res.Payload))
	}
	p.put(e, keep)
	return res, nil
}

// classify fills res from the emulator's answer and reports whether the
// environment is fit to keep. The emulator drops Lambda's
// X-Amz-Function-Error header, so a function error is told by its
// document's shape, and a timeout by the emulator's plain-text answer.
func classify(res *Result, status int, body []byte, err error) bool {
	switch {
	case err != nil:
		res.ErrorType, res.Payload = ErrorTypeExit, errorDocument(ErrorTypeExit, "RequestId: "+res.RequestID+" Error: emulator gone: "+err.Error())
		return false
	case status == http.StatusOK && TimedOut(body):
		res.ErrorType, res.Payload = ErrorTypeTimeout, errorDocument(ErrorTypeTimeout, "RequestId: "+res.RequestID+" Error: "+string(body))
		return false
	case status == http.StatusOK:
		res.Payload = body
		res.ErrorType = FunctionError(body)
		return true
	}
	res.ErrorType, res.Payload = FunctionError(body), body
	switch {
	case res.ErrorType != "": // the runtime exited during the invocation, or answered too much
	case status == http.StatusBadGateway: // it exited during init
		res.ErrorType = ErrorTypeExit
		res.Payload = errorDocument(ErrorTypeExit, "RequestId: "+res.RequestID+" Error: Runtime exited during init")
	default:
		res.ErrorType = ErrorTypeUnknown
		res.Payload = errorDocument(ErrorTypeUnknown, fmt.Sprintf("RequestId: %s Error: the emulator answered %d %s", res.RequestID, status, body))
	}
	return false
}

// TimedOut reports the emulator's answer to an invocation that outlived the
// function timeout: the plain text "Task timed out after N.00 seconds".
func TimedOut(body []byte) bool {
	rest, ok := bytes.CutPrefix(body, []byte("Task timed out after "))
	return ok && len(rest) < 32 && bytes.HasSuffix(rest, []byte(".00 seconds"))
}

// FunctionError returns the errorType of Lambda's error document
// {"errorMessage","errorType"[,"stackTrace"]}, or "" for any other payload.
func FunctionError(body []byte) string {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	var errType string
	if json.Unmarshal(doc["errorType"], &errType) != nil || errType == "" {
		return ""
	}
	for k := range doc {
		if k != "errorType" && k != "errorMessage" && k != "stackTrace" {
			return ""
		}
	}
	return errType
}

func errorMessage(doc []byte) string {
	var d struct{ ErrorMessage string }
	_ = json.Unmarshal(doc, &d)
	return d.ErrorMessage
}

// errorDocument is Lambda's error payload shape.
func errorDocument(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errType})
	return b
}

// take returns the most recently used idle environment, or starts one.
func (p *Pool) take(ctx context.Context) (*Emulator, bool, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, ErrClosed
	}
	for n := len(p.idle); n > 0; n = len(p.idle) {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if !e.exited() {
			p.mu.Unlock()
			return e, false, nil
		}
		delete(p.all, e) // its emulator died while idle
	}
	p.mu.Unlock()
	o := Options{RIE: p.cfg.RIE, Bootstrap: p.cfg.Bootstrap, Env: p.cfg.Env, Output: p.cfg.Output, Prefix: "[" + p.cfg.Name + "] "}
	e, err := Start(ctx, o)
	for try := 1; errors.Is(err, errExitedEarly) && try < 3; try++ {
		e, err = Start(ctx, o) // on other ports
	}
	if err != nil {
		return nil, false, fmt.Errorf("invoke: %s: %w", p.cfg.Name, err)
	}
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.all[e] = struct{}{}
	}
	p.mu.Unlock()
	if closed {
		e.Stop() // Close has missed it
		return nil, false, ErrClosed
	}
	return e, true, nil
}

// put returns e to the idle pool, or stops it when it is not fit to keep.
func (p *Pool) put(e *Emulator, keep bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return // Close stops it
	}
	if !keep || e.exited() {
		delete(p.all, e)
		p.stop(e)
		return
	}
	p.idle = append(p.idle, e)
}

// Environments returns how many execution environments exist now.
func (p *Pool) Environments() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all)
}

// Close stops every environment (Emulator.Stop) and waits for them.
// Invocations in flight end with ErrorTypeExit.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	envs := slices.Collect(maps.Keys(p.all))
	p.all, p.idle = map[*Emulator]struct{}{}, nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Go(func() { e.Stop() })
	}
	wg.Wait()
	p.stopping.Wait()
}

// stop stops e in the background, for Close to wait on.
func (p *Pool) stop(e *Emulator) {
	p.stopping.Go(func() { e.Stop() })
}

// logLine writes one line to the function's output.
func (p *Pool) logLine(line string) {
	_, _ = io.WriteString(p.cfg.Output, "["+p.cfg.Name+"] "+line+"\n")
}
