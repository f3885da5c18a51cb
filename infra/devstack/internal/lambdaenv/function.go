package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/levqor/serverless/infra/proc"
)

// Error types Lambda reports for failures that are not the function's own.
const (
	// ErrorTypeTimeout is Lambda's type when an invocation outlives the function timeout.
	ErrorTypeTimeout = "Sandbox.Timedout"
	// ErrorTypeExit is Lambda's type when the runtime process exits during an invocation.
	ErrorTypeExit = "Runtime.ExitError"
	// ErrorTypeInit is Lambda's type when the runtime fails to initialise.
	ErrorTypeInit = "Runtime.InitError"
	// ErrorTypeResponseTooLarge is Lambda's type when a response exceeds 6 MB.
	ErrorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
)

// MaxPayload is Lambda's limit for a synchronous request or response payload (6 MB).
const MaxPayload = 6 * 1024 * 1024

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("lambdaenv: function closed")

// Config describes one function. Name and Binary are required.
type Config struct {
	// Name is the function's name: AWS_LAMBDA_FUNCTION_NAME and the log prefix.
	Name string
	// Binary is the path of the function's bootstrap executable.
	Binary string
	// Env is the function's own environment (from the template), plus any
	// endpoint overrides. Lambda's reserved variables are set on top of it.
	Env map[string]string
	// Timeout is the function timeout (default 3 s, Lambda's default).
	Timeout time.Duration
	// MemoryMB is the configured memory size (default 128).
	MemoryMB int
	// MaxEnvironments caps concurrent execution environments (default 4).
	MaxEnvironments int
	// Region and AccountID shape the function ARN and AWS_REGION.
	Region, AccountID string
	// Output receives the function's stdout and stderr, one prefixed line per
	// Write, and the platform REPORT lines (default os.Stdout).
	Output io.Writer
}

// Result is the outcome of one invocation.
type Result struct {
	// RequestID is the invocation's request id.
	RequestID string
	// Payload is the function's response, or Lambda's error document
	// {"errorMessage","errorType"} when ErrorType is set.
	Payload []byte
	// ErrorType is empty on success; otherwise the function's own error type
	// (from /error) or one of the ErrorType constants.
	ErrorType string
	// Cold reports a cold start; InitDuration is then its init phase.
	Cold         bool
	InitDuration time.Duration
	// Duration is the invoke phase.
	Duration time.Duration
}

// Failed reports whether the invocation ended in a function error.
func (r *Result) Failed() bool { return r.ErrorType != "" }

// Function is a pool of execution environments for one function binary.
type Function struct {
	cfg Config
	sem chan struct{}

	mu     sync.Mutex
	idle   []*environment // warm environments, most recently used last
	all    map[*environment]struct{}
	closed bool
	nextID int
}

// New returns a Function for cfg. No process starts until the first Invoke.
// It returns an error when Name or Binary is missing or Binary does not exist.
func New(cfg Config) (*Function, error) {
	if cfg.Name == "" {
		return nil, errors.New("lambdaenv: function name is required")
	}
	if _, err := os.Stat(cfg.Binary); err != nil {
		return nil, fmt.Errorf("lambdaenv: %s: bootstrap binary: %w (run `make build-host`)", cfg.Name, err)
	}
	if abs, err := filepath.Abs(cfg.Binary); err == nil {
		cfg.Binary = abs
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 128
	}
	if cfg.MaxEnvironments <= 0 {
		cfg.MaxEnvironments = 4
	}
	if cfg.Region == "" {
		cfg.Region = "eu-west-2"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Output == nil {
		cfg.Output = os.Stdout
	}
	return &Function{
		cfg: cfg,
		sem: make(chan struct{}, cfg.MaxEnvironments),
		all: map[*environment]struct{}{},
	}, nil
}

// Name returns the function's name.
func (f *Function) Name() string { return f.cfg.Name }

// ARN returns the function's (local) ARN.
func (f *Function) ARN() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.cfg.Region, f.cfg.AccountID, f.cfg.Name)
}

// Config returns the function's configuration after defaults.
func (f *Function) Config() Config { return f.cfg }

// Invoke runs payload through one execution environment, starting one (a
// cold start) when none is idle and fewer than MaxEnvironments exist, else
// waiting for one. Like Lambda, an invocation that started runs to its end or
// its timeout even if ctx is cancelled meanwhile; ctx bounds only the wait
// for an environment. Function failures (error response, crash, timeout) are
// reported in Result.ErrorType, not as an error; the error is ErrClosed,
// ctx's error, or a failure to start the binary.
func (f *Function) Invoke(ctx context.Context, payload []byte) (*Result, error) {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-f.sem }()

	e, err := f.take()
	if err != nil {
		return nil, err
	}
	res, err := e.invoke(payload)
	f.put(e)
	if err != nil {
		return nil, err
	}
	f.report(res, e)
	return res, nil
}

// take returns the most recently used idle environment, or a new one.
func (f *Function) take() (*environment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	if n := len(f.idle); n > 0 {
		e := f.idle[n-1]
		f.idle = f.idle[:n-1]
		return e, nil
	}
	f.nextID++
	e := newEnvironment(f, f.nextID)
	f.all[e] = struct{}{}
	return e, nil
}

// put returns e to the idle pool, or forgets it when its process is gone
// (timeout, crash) so that the next invocation starts a fresh one.
func (f *Function) put(e *environment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || e.dead() {
		delete(f.all, e)
		if !f.closed {
			go e.stop(0)
		}
		return
	}
	f.idle = append(f.idle, e)
}

// Environments returns how many execution environments exist now.
func (f *Function) Environments() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.all)
}

// Close stops every environment's process group: SIGTERM, then SIGKILL after
// grace. Invocations in flight end with ErrorTypeExit.
func (f *Function) Close(grace time.Duration) {
	f.mu.Lock()
	f.closed = true
	envs := make([]*environment, 0, len(f.all))
	for e := range f.all {
		envs = append(envs, e)
	}
	f.all = map[*environment]struct{}{}
	f.idle = nil
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Add(1)
		go func() { defer wg.Done(); e.stop(grace) }()
	}
	wg.Wait()
}

// report prints Lambda's REPORT platform line for res.
func (f *Function) report(res *Result, e *environment) {
	line := fmt.Sprintf("REPORT RequestId: %s Duration: %.2f ms Billed Duration: %d ms Memory Size: %d MB",
		res.RequestID, ms(res.Duration), int64(math.Ceil(ms(res.Duration))), f.cfg.MemoryMB)
	if mem := e.maxMemoryMB(); mem > 0 {
		line += " Max Memory Used: " + strconv.Itoa(mem) + " MB"
	}
	if res.Cold {
		line += fmt.Sprintf(" Init Duration: %.2f ms", ms(res.InitDuration))
	}
	if res.ErrorType != "" {
		line += " Status: error Error Type: " + res.ErrorType
	}
	f.logLine(line)
}

// logLine writes one prefixed line to the function's output.
func (f *Function) logLine(line string) {
	_, _ = io.WriteString(f.cfg.Output, "["+f.cfg.Name+"] "+line+"\n")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// environ builds the process environment the way Lambda does: the function's
// variables, then the reserved ones, which a template cannot override.
func (f *Function) environ(runtimeAPI string, envID int) []string {
	env := map[string]string{}
	for k, v := range f.cfg.Env {
		env[k] = v
	}
	reserved := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        f.cfg.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.cfg.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      fmt.Sprintf("%s/[$LATEST]local%04d", time.Now().UTC().Format("2006/01/02"), envID),
		"AWS_REGION":                      f.cfg.Region,
		"AWS_DEFAULT_REGION":              f.cfg.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"LAMBDA_TASK_ROOT":                filepath.Dir(f.cfg.Binary),
		"LAMBDA_RUNTIME_DIR":              filepath.Dir(f.cfg.Binary),
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"LANG":                            "en_US.UTF-8",
		// Dummy credentials: the SDK needs some, DynamoDB Local accepts any,
		// and nothing here can reach AWS.
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
		"AWS_SESSION_TOKEN":         "local",
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	for k, v := range reserved {
		env[k] = v
	}
	return proc.Environ(env)
}
