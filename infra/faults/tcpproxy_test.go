package faults

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards TCP connections from a loopback port to Target, optionally
// delaying every chunk that flows back to the client by Latency. Changing
// the latency applies to data read after the change, on every connection.
type Proxy struct {
	Target string // host:port to forward to

	ln      net.Listener
	latency atomic.Int64 // nanoseconds
	mu      sync.Mutex
	conns   map[net.Conn]bool
	closed  bool
	stop    chan struct{} // closed by Close: ends any sleep
	wg      sync.WaitGroup
}

// Listen starts the proxy on a free 127.0.0.1 port. It returns the listen error.
func (p *Proxy) Listen() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p.ln = ln
	p.conns = map[net.Conn]bool{}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go p.serve()
	return nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetLatency sets the delay added before each chunk of the answer.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// Close stops accepting, cuts every open connection and waits for the
// copying goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		close(p.stop)
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(in) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			out, err := net.DialTimeout("tcp", p.Target, 5*time.Second)
			if err != nil { // the target is down: the client sees the connection close
				p.untrack(in)
				return
			}
			if !p.track(out) {
				p.untrack(in)
				return
			}
			done := make(chan struct{}, 2)
			go func() { io.Copy(out, in); done <- struct{}{} }()
			go func() { p.copySlow(in, out); done <- struct{}{} }()
			<-done
			p.untrack(in, out)
			<-done
		}()
	}
}

// copySlow copies src to dst, sleeping the current latency before each chunk.
func (p *Proxy) copySlow(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(p.latency.Load()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-p.stop:
					t.Stop()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
