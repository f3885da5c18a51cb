package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// Bounds on any load run, so a typo cannot turn the bench into a flood.
const (
	maxConcurrency = 64
	maxRound       = 60 * time.Second
	maxRounds      = 20
	requestTimeout = 10 * time.Second
)

// loadCmd drives url at fixed concurrency for a fixed time per round and
// reports requests per second, p50, p99 and errors (any answer other than
// -expect, or a transport error).
func loadCmd(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	target := fs.String("url", "", "loopback URL to drive")
	name := fs.String("name", "", "label for the results (default: the URL path)")
	c := fs.Int("c", 4, "concurrent clients")
	d := fs.Duration("d", 5*time.Second, "duration of each round")
	rounds := fs.Int("rounds", 3, "rounds (samples for benchstat)")
	post := fs.String("post", "", "POST this file's bytes as application/json (default GET)")
	expect := fs.Int("expect", 200, "the status every answer must have")
	md := fs.String("md", "", "append Markdown to this file")
	fs.Parse(args)
	if *c < 1 || *c > maxConcurrency || *d <= 0 || *d > maxRound || *rounds < 1 || *rounds > maxRounds {
		return fmt.Errorf("bounds: 1 <= c <= %d, 0 < d <= %v, 1 <= rounds <= %d", maxConcurrency, maxRound, maxRounds)
	}
	u, err := loopbackURL(*target)
	if err != nil {
		return err
	}
	var body []byte
	if *post != "" {
		if body, err = os.ReadFile(*post); err != nil {
			return err
		}
	}
	if *name == "" {
		*name = u.Path
	}
	client := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: *c, MaxConnsPerHost: *c}}
	w, err := mdFile(*md)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(w, "`%s %s`, %d clients, %d rounds of %v:\n\n", method(body), *name, *c, *rounds, *d)
	fmt.Fprintln(w, "| round | requests | req/s | p50 | p99 | max | errors |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	totalErrs := 0
	var firstErr error
	var rpsAll, p50All, p99All []float64
	for r := 1; r <= *rounds; r++ {
		lat, errs, fe := drive(client, u.String(), body, *expect, *c, *d)
		totalErrs += errs
		if firstErr == nil {
			firstErr = fe
		}
		s := summarize(lat)
		p99 := s.p99
		rps := float64(len(lat)) / d.Seconds()
		mean := 0.0
		for _, x := range lat {
			mean += x
		}
		if len(lat) > 0 {
			mean /= float64(len(lat))
		}
		fmt.Printf("BenchmarkE2E/route=%s/c=%d %d %.0f ns/op %.0f p50-ns %.0f p99-ns %.1f req/s %d errors\n", *name, *c, len(lat), mean, s.med, p99, rps, errs)
		fmt.Fprintf(w, "| %d | %d | %.0f | %s | %s | %s | %d |\n", r, len(lat), rps, ms(s.med), ms(p99), ms(s.max), errs)
		rpsAll, p50All, p99All = append(rpsAll, rps), append(p50All, s.med), append(p99All, p99)
	}
	rs, p5, p9 := summarize(rpsAll), summarize(p50All), summarize(p99All)
	fmt.Fprintf(w, "| **median (min – max)** | | **%.0f** (%.0f – %.0f) | **%s** (%s – %s) | **%s** (%s – %s) | | **%d** |\n",
		rs.med, rs.min, rs.max, ms(p5.med), ms(p5.min), ms(p5.max), ms(p9.med), ms(p9.min), ms(p9.max), totalErrs)
	fmt.Fprintln(w)
	if totalErrs > 0 {
		return fmt.Errorf("%s: %d errors; first: %v", *name, totalErrs, firstErr)
	}
	return nil
}

func method(body []byte) string {
	if body != nil {
		return http.MethodPost
	}
	return http.MethodGet
}

// loopbackURL parses raw and refuses any host that is not a loopback address.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http://127.0.0.1:PORT/path", raw)
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("url %q: %s is not a loopback address; the bench only drives the local stack", raw, ip)
		}
	}
	return u, nil
}

// drive runs c clients against target for d and returns every successful
// request's latency in ns, the error count and the first error.
func drive(client *http.Client, target string, body []byte, expect, c int, d time.Duration) ([]float64, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []float64
	var errs int
	var firstErr error
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			var mine []float64
			for ctx.Err() == nil {
				t0 := time.Now()
				err := once(client, target, body, expect)
				el := time.Since(t0)
				if err != nil {
					mu.Lock()
					errs++
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, float64(el))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, errs, firstErr
}

// once makes one request; requests are not tied to the round's context so
// that one in flight at the end completes and is counted.
func once(client *http.Client, target string, body []byte, expect int) error {
	req, err := http.NewRequest(method(body), target, bytes.NewReader(body)) // an empty reader is http.NoBody
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != expect {
		return errors.New(resp.Status + ": " + string(b))
	}
	return nil
}
