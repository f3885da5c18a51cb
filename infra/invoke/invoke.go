// Package invoke hosts function binaries under AWS's Lambda runtime
// interface emulator (RIE), the way `sam local` does without Docker: an
// Emulator is one execution environment, which `make invoke`
// (infra/invoke/cmd/invoke) and the runtime test use, and a Pool scales
// one function over several, which `make dev` (infra/devstack) runs.
//
//	bin, _ := invoke.BuildHost(ctx, root, "./functions/health", filepath.Join(root, "bin/host/health/bootstrap"))
//	rie, _ := invoke.RIE(root)
//	em, _ := invoke.Start(ctx, invoke.Options{RIE: rie, Bootstrap: bin, Env: invoke.Env(fn, extra)})
//	defer em.Stop()
//	out, _ := em.Invoke(ctx, eventJSON)
//
// The emulator listens on a free 127.0.0.1 port and gives its runtime API a
// second free port, so several emulators (tests, make dev) can run at once.
// It starts the function on the first invocation and prints a REPORT line
// (with Init Duration) to its output after each one.
package invoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/levqor/serverless/infra/proc"
	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/heap"
)

// Module is the module path the build stamps (-X) are set under.
const Module = "github.com/levqor/serverless"

// Tags are the build tags of every Lambda binary: the Go copy of the
// Makefile's LAMBDA_TAGS (the template test checks the two agree).
const Tags = "lambda.norpc,nethttpomithttp2"

// BuildHost compiles the package pkg (e.g. "./functions/health", relative
// to root) for this machine into out with the
// Lambda build's flags (CGO_ENABLED=0, -tags Tags, -trimpath, -s -w
// and the build stamp; the Makefile's LAMBDA_FLAGS). BUILD from the
// environment overrides the stamp (default the short git commit, or "dev"). It returns the compiler's output on failure.
func BuildHost(ctx context.Context, root, pkg, out string) error {
	if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
		return fmt.Errorf("invoke: no package %s: %w", pkg, err)
	}
	build := os.Getenv("BUILD")
	if build == "" {
		build = "dev"
		cmd := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD")
		cmd.Dir = root
		if b, err := cmd.Output(); err == nil && len(bytes.TrimSpace(b)) > 0 {
			build = string(bytes.TrimSpace(b))
		}
	}
	ldflags := fmt.Sprintf("-s -w -X %s/shared/buildinfo.Build=%s", Module, build)
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", Tags, "-trimpath", "-ldflags", ldflags,
		"-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("invoke: go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// PrebuiltEnv names the variable `make test` and `make faults` set to the
// folder of host binaries they built before `go test` starts: a compile on a
// cold build cache then costs build time, never a test timeout.
const PrebuiltEnv = "LEVQOR_PREBUILT"

// Binary returns the host build of pkg (e.g. "./functions/health"): the
// prebuilt <$LEVQOR_PREBUILT>/<last element of pkg>/bootstrap when that
// variable is set, else a fresh BuildHost into out. It returns an error
// when the prebuilt binary is missing (never a silent rebuild) or the
// build fails.
func Binary(ctx context.Context, root, pkg, out string) (string, error) {
	if dir := os.Getenv(PrebuiltEnv); dir != "" {
		p := filepath.Join(dir, filepath.Base(pkg), "bootstrap")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("invoke: %s=%s has no %s (make build-host BIN=...): %w", PrebuiltEnv, dir, filepath.Base(pkg), err)
		}
		return filepath.Abs(p)
	}
	return out, BuildHost(ctx, root, pkg, out)
}

// RIE returns the runtime interface emulator binary: bin/tools/aws-lambda-rie
// under root when `make deps` built it, else the go.mod tool's cached build
// (`go tool -n aws-lambda-rie`). It returns go's error when neither works.
func RIE(root string) (string, error) {
	p := filepath.Join(root, "bin", "tools", "aws-lambda-rie")
	if _, err := os.Stat(p); err == nil {
		return filepath.Abs(p) // the emulator runs in the bootstrap's folder
	}
	cmd := exec.Command("go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("invoke: build the runtime interface emulator (make deps): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Local is the environment every local function gets besides its template
// variables: the region, dummy credentials (so nothing can reach a real
// account) and no IMDS lookups.
var Local = map[string]string{
	"AWS_REGION":                "eu-west-2",
	"AWS_DEFAULT_REGION":        "eu-west-2",
	"AWS_ACCESS_KEY_ID":         "local",
	"AWS_SECRET_ACCESS_KEY":     "local",
	"AWS_EC2_METADATA_DISABLED": "true",
	"TZ":                        "UTC",
}

// Env returns the function's environment as Lambda would set it, as
// KEY=VALUE pairs sorted by key: Local, then the template's variables, the
// function's name, timeout and memory size, then extra (which wins; e.g.
// AWS_ENDPOINT_URL_DYNAMODB). PATH is kept so the emulator can run.
func Env(fn *samtemplate.Function, extra map[string]string) []string {
	m := map[string]string{"PATH": os.Getenv("PATH")}
	maps.Copy(m, Local)
	maps.Copy(m, fn.Env)
	maps.Copy(m, fn.LambdaEnv())
	m["AWS_LAMBDA_FUNCTION_NAME"] = fn.LogicalID
	if fn.Timeout > 0 {
		m["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(fn.Timeout)
	}
	if fn.MemorySize > 0 {
		m[heap.MemoryEnv] = strconv.Itoa(fn.MemorySize)
	}
	maps.Copy(m, extra)
	return proc.Environ(m)
}

// Options configures Start.
type Options struct {
	RIE       string    // emulator binary (see RIE)
	Bootstrap string    // the function binary
	Env       []string  // the function's whole environment (see Env); the emulator passes it on
	Output    io.Writer // emulator and function logs, a line per Write; nil discards them
	Prefix    string    // written before every line of Output ("[HealthFunction] ")
}

// Emulator is a running runtime interface emulator with one function.
type Emulator struct {
	// URL is the emulator's invoke endpoint.
	URL string

	cmd    *exec.Cmd
	done   chan struct{}
	report *reportWriter
	once   sync.Once
}

// Start runs the emulator and waits until it accepts connections (10s at
// most). It returns an error when the binaries are missing, the emulator
// exits early or does not listen in time.
func Start(ctx context.Context, o Options) (*Emulator, error) {
	for _, p := range []string{o.RIE, o.Bootstrap} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("invoke: %w", err)
		}
	}
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	addr, api := addrs[0], addrs[1]
	bootstrap, err := filepath.Abs(o.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	e := &Emulator{
		URL:    "http://" + addr + "/2015-03-31/functions/function/invocations",
		done:   make(chan struct{}),
		report: &reportWriter{w: out, prefix: o.Prefix},
	}
	// --log-level error leaves what Lambda itself prints: START, END and
	// REPORT lines around the function's own output.
	e.cmd = exec.Command(o.RIE, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api,
		"--log-level", "error", bootstrap)
	e.cmd.Dir = filepath.Dir(bootstrap)
	e.cmd.Env = o.Env
	e.cmd.Stdout, e.cmd.Stderr = e.report, e.report
	e.cmd.SysProcAttr = proc.Attr()
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("invoke: start emulator: %w", err)
	}
	go func() {
		_ = e.cmd.Wait()
		e.report.flush()
		close(e.done)
	}()
	// Both listeners: the runtime API's is started apart from the invoke
	// one, and a function started before it listens dies at init.
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range []string{addr, api} {
		for {
			c, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-e.done:
				return nil, errExitedEarly
			case <-ctx.Done():
				e.Stop()
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond): // a cold start waits on this
			}
			if time.Now().After(deadline) {
				e.Stop()
				return nil, fmt.Errorf("invoke: emulator not listening on %s after 10s", a)
			}
		}
	}
	return e, nil
}

// Invoke sends one event and returns the function's response payload. It
// returns an error for transport failures and non-200 emulator answers; a
// function error comes back as the payload Lambda would return
// ({"errorMessage":...,"errorType":...}).
func (e *Emulator) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	status, body, err := e.call(ctx, "", event)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("invoke: emulator answered %d %s: %s", status, http.StatusText(status), body)
	}
	return body, err
}

// call posts event with requestID (the emulator makes one when it is "")
// and returns the emulator's status and body.
func (e *Emulator) call(ctx context.Context, requestID string, event []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(event))
	if err != nil {
		return 0, nil, fmt.Errorf("invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set("X-Amzn-RequestId", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("invoke: read response: %w", err)
	}
	return resp.StatusCode, body, nil
}

// exited reports whether the emulator's process has ended.
func (e *Emulator) exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// Report returns the emulator's last REPORT line ("REPORT RequestId: ...
// Init Duration: ..."), waiting up to wait for it to be written; "" if none.
func (e *Emulator) Report(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		if r := e.report.last(); r != "" || time.Now().After(deadline) {
			return r
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop ends the emulator and the function and waits for them: SIGTERM
// first, which the emulator handles by shutting the function down (it runs
// in a process group of its own), then SIGKILL to the emulator's group
// after two seconds. It is safe to call more than once.
func (e *Emulator) Stop() {
	e.once.Do(func() {
		p := e.cmd.Process
		if p == nil {
			return
		}
		_ = p.Signal(syscall.SIGTERM)
		select {
		case <-e.done:
			return
		case <-time.After(2 * time.Second):
		}
		_ = proc.KillGroup(p.Pid)
	})
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
	}
}

// errExitedEarly is Start's error when the emulator exits before it
// listens: it could not bind a port (another process took it between
// freeAddrs and the emulator's bind), or its binary is broken.
var errExitedEarly = errors.New("invoke: emulator exited before listening")

// handedOut holds the ports freeAddrs gave in this process in the last
// minute: an emulator binds them a moment after they are closed here, and
// a pool starting several emulators at once must not give two of them the
// same port.
var handedOut = struct {
	sync.Mutex
	at map[string]time.Time
}{at: map[string]time.Time{}}

// freeAddrs returns n distinct free 127.0.0.1 addresses that this process
// has not handed out in the last minute.
func freeAddrs(n int) ([]string, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	now := time.Now()
	for a, t := range handedOut.at {
		if now.Sub(t) > time.Minute {
			delete(handedOut.at, a)
		}
	}
	var held []net.Listener // held open, so the n differ
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	var out []string
	for len(out) < n {
		if len(held) > n+64 {
			return nil, errors.New("invoke: no free port that was not just handed out")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("invoke: free port: %w", err)
		}
		held = append(held, l)
		if a := l.Addr().String(); handedOut.at[a].IsZero() {
			handedOut.at[a] = now
			out = append(out, a)
		}
	}
	return out, nil
}

// reportWriter passes output through a whole line at a time, each after
// prefix, and remembers the last REPORT line.
type reportWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	partial []byte
	report  string
}

func (r *reportWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			break
		}
		line := string(r.partial[:i])
		r.partial = r.partial[i+1:]
		if strings.HasPrefix(line, "REPORT RequestId") { // the emulator's, not the function's
			r.report = strings.TrimSpace(line)
		}
		// A write error is not passed on: the emulator would die of it.
		_, _ = io.WriteString(r.w, r.prefix+line+"\n")
	}
	return len(p), nil
}

// flush writes a last line the process left without its newline.
func (r *reportWriter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.partial) > 0 {
		_, _ = io.WriteString(r.w, r.prefix+string(r.partial)+"\n")
		r.partial = nil
	}
}

func (r *reportWriter) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.report
}
