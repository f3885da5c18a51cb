package lambdaenv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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

	"github.com/levqor/serverless/infra/awsid"
	"github.com/levqor/serverless/infra/proc"
)

// initLimit is Lambda's init phase limit for on-demand environments.
const initLimit = 10 * time.Second

// invocation is one event handed to the runtime through GET /next.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan outcome // buffered 1; the first answer wins
}

// outcome is what the runtime posted for an invocation.
type outcome struct {
	payload   []byte
	errorType string
}

// environment is one bootstrap process and its Runtime API server.
type environment struct {
	f  *Function
	id int

	ln   net.Listener
	srv  *http.Server
	cmd  *exec.Cmd
	next chan *invocation

	started  bool
	ready    chan struct{} // closed at the runtime's first GET /next
	initErr  chan []byte   // the runtime's POST /runtime/init/error
	exited   chan struct{} // closed when the process has exited
	readyOne sync.Once

	mu      sync.Mutex
	current *invocation
	killed  bool
	gone    bool
}

func newEnvironment(f *Function, id int) *environment {
	return &environment{
		f:       f,
		id:      id,
		next:    make(chan *invocation),
		ready:   make(chan struct{}),
		initErr: make(chan []byte, 1),
		exited:  make(chan struct{}),
	}
}

// dead reports whether the process is gone or was killed.
func (e *environment) dead() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.killed || e.gone
}

// start launches the Runtime API server and the bootstrap process.
func (e *environment) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("lambdaenv: %s: runtime API listener: %w", e.f.cfg.Name, err)
	}
	e.ln = ln
	e.srv = &http.Server{Handler: e.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()

	cmd := exec.Command(e.f.cfg.Binary)
	cmd.Dir = filepath.Dir(e.f.cfg.Binary)
	cmd.Env = e.f.environ(ln.Addr().String(), e.id)
	cmd.SysProcAttr = proc.Attr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		_ = e.srv.Close()
		return fmt.Errorf("lambdaenv: %s: start %s: %w", e.f.cfg.Name, e.f.cfg.Binary, err)
	}
	e.cmd = cmd
	e.started = true
	var copying sync.WaitGroup
	copying.Add(2)
	go func() { defer copying.Done(); e.copyLines(stdout) }()
	go func() { defer copying.Done(); e.copyLines(stderr) }()
	go func() {
		copying.Wait() // Wait closes the pipes; read them to the end first
		_ = cmd.Wait()
		e.mu.Lock()
		e.gone = true
		e.mu.Unlock()
		close(e.exited)
	}()
	return nil
}

// copyLines prefixes every line the function prints with its name, the way
// `sam local` interleaves several functions' logs.
func (e *environment) copyLines(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		e.f.logLine(sc.Text())
	}
	_, _ = io.Copy(io.Discard, r) // a line longer than 1 MiB: drop the rest
}

// invoke runs one invocation, starting the process first on a cold start.
func (e *environment) invoke(payload []byte) (*Result, error) {
	res := &Result{RequestID: awsid.UUID()}
	if !e.started {
		res.Cold = true
		begin := time.Now()
		if err := e.start(); err != nil {
			e.markKilled()
			return nil, err
		}
		if errType, msg := e.awaitInit(); errType != "" {
			res.InitDuration = time.Since(begin)
			e.kill()
			res.ErrorType = errType
			res.Payload = errorDocument(errType, msg)
			return res, nil
		}
		res.InitDuration = time.Since(begin)
	}

	inv := &invocation{
		id:       res.RequestID,
		payload:  payload,
		deadline: time.Now().Add(e.f.cfg.Timeout),
		done:     make(chan outcome, 1),
	}
	e.mu.Lock()
	e.current = inv
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.current = nil
		e.mu.Unlock()
	}()

	begin := time.Now()
	timer := time.NewTimer(e.f.cfg.Timeout)
	defer timer.Stop()
	select {
	case e.next <- inv:
	case <-e.exited:
		return e.fail(res, begin, ErrorTypeExit, "Runtime exited before the invocation started"), nil
	case <-timer.C:
		e.kill()
		return e.fail(res, begin, ErrorTypeTimeout, e.timeoutMessage()), nil
	}
	select {
	case out := <-inv.done:
		res.Duration = time.Since(begin)
		res.Payload, res.ErrorType = out.payload, out.errorType
		if res.ErrorType == ErrorTypeResponseTooLarge {
			// Lambda discards the environment's response; the runtime is fine.
			res.Payload = errorDocument(res.ErrorType, "Response payload size exceeded maximum allowed payload size (6291556 bytes).")
		}
		return res, nil
	case <-e.exited:
		return e.fail(res, begin, ErrorTypeExit, "Runtime exited during the invocation: "+e.exitStatus()), nil
	case <-timer.C:
		e.kill()
		return e.fail(res, begin, ErrorTypeTimeout, e.timeoutMessage()), nil
	}
}

func (e *environment) timeoutMessage() string {
	return fmt.Sprintf("Task timed out after %.2f seconds", e.f.cfg.Timeout.Seconds())
}

func (e *environment) fail(res *Result, begin time.Time, errType, msg string) *Result {
	res.Duration = time.Since(begin)
	res.ErrorType = errType
	res.Payload = errorDocument(errType, msg)
	e.f.logLine(fmt.Sprintf("%s RequestId: %s Error: %s", time.Now().UTC().Format(time.RFC3339), res.RequestID, msg))
	return res
}

// awaitInit waits for the runtime's first GET /next (init done), an init
// error, the process exiting, or Lambda's init limit.
func (e *environment) awaitInit() (errType, msg string) {
	timer := time.NewTimer(initLimit)
	defer timer.Stop()
	select {
	case <-e.ready:
		return "", ""
	case body := <-e.initErr:
		return ErrorTypeInit, "init error: " + string(body)
	case <-e.exited:
		return ErrorTypeExit, "Runtime exited during init: " + e.exitStatus()
	case <-timer.C:
		return ErrorTypeTimeout, fmt.Sprintf("init phase exceeded %s", initLimit)
	}
}

func (e *environment) exitStatus() string {
	if e.cmd == nil || e.cmd.ProcessState == nil {
		return "unknown status"
	}
	return e.cmd.ProcessState.String()
}

func (e *environment) markKilled() {
	e.mu.Lock()
	e.killed = true
	e.mu.Unlock()
}

// kill ends the whole process group at once (timeout: Lambda gives no grace).
func (e *environment) kill() {
	e.markKilled()
	if e.cmd != nil && e.cmd.Process != nil {
		_ = proc.KillGroup(e.cmd.Process.Pid)
	}
}

// stop ends the process group (SIGTERM, then SIGKILL after grace), waits for
// it to exit, and closes the Runtime API server.
func (e *environment) stop(grace time.Duration) {
	e.markKilled()
	if e.cmd != nil && e.cmd.Process != nil {
		if grace > 0 {
			_ = proc.SignalGroup(e.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-e.exited:
			case <-time.After(grace):
			}
		}
		_ = proc.KillGroup(e.cmd.Process.Pid)
		select {
		case <-e.exited:
		case <-time.After(5 * time.Second):
		}
	}
	if e.srv != nil {
		_ = e.srv.Close()
	}
}

// maxMemoryMB reads the process's peak resident memory on Linux (0 elsewhere).
func (e *environment) maxMemoryMB() int {
	if e.cmd == nil || e.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(e.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return (kb + 1023) / 1024
		}
	}
	return 0
}

// routes is the Runtime API, version 2018-06-01.
func (e *environment) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtimeError(w, http.StatusNotFound, "InvalidRequest", "not served by the local Runtime API: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func (e *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	e.readyOne.Do(func() { close(e.ready) })
	select {
	case inv := <-e.next:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", e.f.ARN())
		h.Set("Lambda-Runtime-Trace-Id", awsid.TraceRoot(time.Now())+";Sampled=0")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// deliver hands an outcome to the invocation with id, if it is current.
func (e *environment) deliver(w http.ResponseWriter, id string, out outcome) {
	e.mu.Lock()
	inv := e.current
	e.mu.Unlock()
	if inv == nil || inv.id != id {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with id "+id)
		return
	}
	select {
	case inv.done <- out:
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	default:
		runtimeError(w, http.StatusBadRequest, "InvalidStateTransition", "invocation "+id+" already answered")
	}
}

func (e *environment) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	out := outcome{payload: body}
	if len(body) > MaxPayload {
		out = outcome{errorType: ErrorTypeResponseTooLarge}
	}
	// A streamed response that failed midway carries the error in trailers.
	if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
		out = outcome{errorType: t, payload: errorDocument(t, r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))}
	}
	e.deliver(w, r.PathValue("id"), out)
}

func (e *environment) handleError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &doc)
	errType := doc.ErrorType
	if errType == "" {
		errType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if errType == "" {
		errType = "Unhandled"
	}
	if !json.Valid(body) {
		body = errorDocument(errType, string(body))
	}
	e.deliver(w, r.PathValue("id"), outcome{payload: body, errorType: errType})
}

func (e *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64*1024))
	select {
	case e.initErr <- body:
	default:
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func runtimeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorDocument(errType, msg))
}

// errorDocument is Lambda's error payload shape.
func errorDocument(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errType})
	return b
}
