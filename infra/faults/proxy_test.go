package faults

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }))
	defer srv.Close()
	p := &Proxy{Target: srv.Listener.Addr().String()}
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := func(timeout time.Duration) (string, error) {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + p.Addr() + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if got, err := get(5 * time.Second); err != nil || got != "pong" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	// With a latency far beyond the client's timeout, the client gives up:
	// the delay is real, not just recorded.
	p.SetLatency(time.Hour)
	if _, err := get(200 * time.Millisecond); err == nil {
		t.Fatal("an hour of latency did not delay the answer past 200ms")
	}
	p.SetLatency(0)
	if got, err := get(5 * time.Second); err != nil || got != "pong" {
		t.Fatalf("after removing the latency: %q, %v", got, err)
	}
}

func TestProxyTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := &Proxy{Target: addr}
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &http.Client{Timeout: 5 * time.Second}
	if _, err := c.Get("http://" + p.Addr() + "/"); err == nil {
		t.Fatal("a request through a proxy to nothing succeeded")
	}
}
