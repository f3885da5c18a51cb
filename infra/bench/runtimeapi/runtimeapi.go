// Package runtimeapi is a minimal Lambda Runtime API (the 2018-06-01 paths)
// for driving one real function binary at a time on loopback: it notes when
// the process first asks for an invocation (the end of its init, for cold
// start measurements) and hands it events with a chosen deadline. Only the
// bench (infra/bench) uses it; everything else runs functions under AWS's
// runtime interface emulator (infra/invoke), which cannot serve the bench:
// its "Init Duration" is the time to start the process (under 0.1 ms
// here), not the runtime's init up to its first /next, and its own hop adds
// to every invocation the bench times.
package runtimeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the Runtime API. Create it with New; point a function at it with
// AWS_LAMBDA_RUNTIME_API=Addr().
type Server struct {
	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	arrived  chan time.Time // receives the time of the current process's first /next
	inflight map[string]chan reply
	events   chan invocation
	seq      atomic.Int64
}

type invocation struct {
	payload  []byte
	deadline time.Time
	reply    chan reply
}

type reply struct {
	body  []byte
	isErr bool
}

// New listens on a free 127.0.0.1 port and serves. It returns the listen error.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &Server{ln: ln, inflight: map[string]chan reply{}, events: make(chan invocation)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.respond(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.respond(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted) // the bench sees the failure when the function exits
	})
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

// Addr is the host:port to give a function as AWS_LAMBDA_RUNTIME_API.
func (a *Server) Addr() string { return a.ln.Addr().String() }

// Close stops serving.
func (a *Server) Close() { a.srv.Close() }

// Expect arms the signal for the next process's first /next: the channel
// receives the moment that request arrived.
func (a *Server) Expect() <-chan time.Time {
	ch := make(chan time.Time, 1)
	a.mu.Lock()
	a.arrived = ch
	a.mu.Unlock()
	return ch
}

func (a *Server) next(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	a.mu.Lock()
	if a.arrived != nil {
		a.arrived <- now
		a.arrived = nil
	}
	a.mu.Unlock()
	var inv invocation
	select {
	case inv = <-a.events:
	case <-r.Context().Done(): // the process was stopped while waiting
		return
	}
	id := "bench-" + strconv.FormatInt(a.seq.Add(1), 10)
	a.mu.Lock()
	a.inflight[id] = inv.reply
	a.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-2:000000000000:function:bench")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	w.Write(inv.payload)
}

func (a *Server) respond(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		b, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		a.mu.Lock()
		ch := a.inflight[id]
		delete(a.inflight, id)
		a.mu.Unlock()
		if ch == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		ch <- reply{body: b, isErr: isErr}
		w.WriteHeader(http.StatusAccepted)
	}
}

// Invoke hands payload to the waiting process with ctx's deadline (30s when
// ctx has none) and returns its answer. It returns an error for a function
// error (its body in the message) or when ctx ends first.
func (a *Server) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	inv := invocation{payload: payload, deadline: dl, reply: make(chan reply, 1)}
	select {
	case a.events <- inv:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-inv.reply:
		if rep.isErr {
			return nil, fmt.Errorf("function error: %s", rep.body)
		}
		return rep.body, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// HTTPEvent is an HTTP API payload 2.0 request, as API Gateway builds it,
// for invoking a function directly.
func HTTPEvent(method, path string, headers map[string]string, body string) []byte {
	raw, query, _ := strings.Cut(path, "?")
	ev := map[string]any{
		"version": "2.0", "routeKey": method + " " + raw, "rawPath": raw, "rawQueryString": query,
		"headers": headers, "body": body, "isBase64Encoded": false,
		"requestContext": map[string]any{
			"accountId": "000000000000", "apiId": "local", "domainName": "127.0.0.1", "stage": "$default",
			"requestId": "bench", "routeKey": method + " " + raw, "timeEpoch": time.Now().UnixMilli(),
			"http": map[string]any{"method": method, "path": raw, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "levqor-bench"},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}
