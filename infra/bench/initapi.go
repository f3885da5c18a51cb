package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// initAPI is the least of a Lambda Runtime API that times a cold start: it
// notes when a started process first asks for an invocation (GET
// /2018-06-01/runtime/invocation/next, the end of its init) and never hands
// it one. It is the bench's only host of its own: AWS's runtime interface
// emulator, which runs functions everywhere else (infra/invoke, the bench's
// direct invocations included), cannot time this, as its "Init Duration"
// is the time to start the process (under 0.1 ms here), not the runtime's
// init up to its first /next.
type initAPI struct {
	ln  net.Listener
	srv *http.Server

	mu      sync.Mutex
	arrived chan time.Time // receives the time of the current process's first /next
}

// newInitAPI listens on a free 127.0.0.1 port and serves. It returns the
// listen error.
func newInitAPI() (*initAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &initAPI{ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted) // the bench sees the failure when the function exits
	})
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

// Addr is the host:port to give a function as AWS_LAMBDA_RUNTIME_API.
func (a *initAPI) Addr() string { return a.ln.Addr().String() }

// Close stops serving.
func (a *initAPI) Close() { a.srv.Close() }

// Expect arms the signal for the next process's first /next: the channel
// receives the moment that request arrived.
func (a *initAPI) Expect() <-chan time.Time {
	ch := make(chan time.Time, 1)
	a.mu.Lock()
	a.arrived = ch
	a.mu.Unlock()
	return ch
}

// next signals the first /next and holds the request until the process
// is stopped.
func (a *initAPI) next(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	a.mu.Lock()
	if a.arrived != nil {
		a.arrived <- now
		a.arrived = nil
	}
	a.mu.Unlock()
	<-r.Context().Done()
}
