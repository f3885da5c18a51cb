package invoke

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/levqor/serverless/infra/localbus"
)

// Bus is the local EventBridge (infra/localbus, the same one make dev
// runs) on a free 127.0.0.1 port, for functions run with
// AWS_ENDPOINT_URL_EVENTBRIDGE=Bus.URL: every accepted event is written to
// its writer as one JSON line.
type Bus struct {
	// URL is the endpoint to give the SDK.
	URL string

	bus *localbus.Bus
	srv *http.Server
}

// StartBus listens on a free 127.0.0.1 port and prints events to w. It
// returns the listen error.
func StartBus(w io.Writer) (*Bus, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("invoke: bus: %w", err)
	}
	var mu sync.Mutex
	lb := localbus.New(Local["AWS_REGION"], "000000000000", nil)
	lb.Print = func(line []byte) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = fmt.Fprintf(w, "%s\n", line)
	}
	b := &Bus{URL: "http://" + l.Addr().String(), bus: lb, srv: &http.Server{Handler: lb}}
	go func() { _ = b.srv.Serve(l) }()
	return b, nil
}

// Count returns how many events the bus has accepted.
func (b *Bus) Count() int { return len(b.bus.Events()) }

// Close stops the bus.
func (b *Bus) Close() error { return b.srv.Close() }
