package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/infra/invoke"
	"github.com/levqor/serverless/infra/proc"
)

// directCmd invokes one function binary serially under AWS's runtime
// interface emulator, as make dev and make invoke host it (infra/invoke),
// and, with -url, the same route serially through the local gateway in
// alternating rounds; the difference of the medians is the gateway's own
// overhead per request.
func directCmd(args []string) error {
	fs := flag.NewFlagSet("direct", flag.ExitOnError)
	bin := fs.String("bin", "", "host-built function binary")
	fn := fs.String("fn", "", "function folder name (health, tickets, ...), for its template environment")
	tplPath := fs.String("template", "template.yaml", "SAM template")
	path := fs.String("path", "/health", "route path of the event")
	post := fs.String("post", "", "POST this file's bytes as application/json (default GET)")
	expect := fs.Int("expect", 200, "status every answer must have")
	gw := fs.String("url", "", "the same route through the local gateway (loopback), to compare")
	n := fs.Int("n", 1000, "requests per round")
	rounds := fs.Int("rounds", 3, "rounds each way")
	md := fs.String("md", "", "append Markdown to this file")
	fs.Parse(args)
	if *n < 1 || *n > 20000 || *rounds < 1 || *rounds > maxRounds {
		return fmt.Errorf("bounds: 1 <= n <= 20000, 1 <= rounds <= %d", maxRounds)
	}
	var body []byte
	var err error
	if *post != "" {
		if body, err = os.ReadFile(*post); err != nil {
			return err
		}
	}
	h, err := newHarness(*tplPath)
	if err != nil {
		return err
	}
	defer h.Close()
	f := h.tpl.FunctionByDir(*fn)
	if f == nil {
		return fmt.Errorf("-fn %q: no such function in %s", *fn, *tplPath)
	}
	rie, err := invoke.RIE(filepath.Dir(*tplPath))
	if err != nil {
		return err
	}
	out := &proc.Tail{Max: 1 << 16}
	em, err := invoke.Start(context.Background(), invoke.Options{RIE: rie, Bootstrap: *bin, Output: out,
		Env: invoke.Env(f, map[string]string{"AWS_ENDPOINT_URL": "http://" + h.canary.Addr(), "LOG_LEVEL": "warn"})})
	if err != nil {
		return fmt.Errorf("%s: %w", *bin, err)
	}
	defer em.Stop()

	headers := map[string]string{"user-agent": "levqor-bench"}
	method := http.MethodGet
	if body != nil {
		method = http.MethodPost
		headers["content-type"] = "application/json"
	}
	event := httpEvent(method, *path, headers, string(body))
	invokeDirect := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		answer, err := em.Invoke(ctx, event)
		if err != nil {
			return fmt.Errorf("%w; its output:\n%s", err, out)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(answer, &resp); err != nil || resp.StatusCode != *expect {
			return fmt.Errorf("answer %s, want status %d", answer, *expect)
		}
		return nil
	}
	var invokeGateway func() error
	if *gw != "" {
		u, err := loopbackURL(*gw)
		if err != nil {
			return err
		}
		client := &http.Client{Timeout: requestTimeout}
		invokeGateway = func() error { return once(client, u.String(), body, *expect) }
	}
	// Warm both paths.
	for range 20 {
		if err := invokeDirect(); err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		if invokeGateway != nil {
			if err := invokeGateway(); err != nil {
				return fmt.Errorf("gateway: %w", err)
			}
		}
	}
	var direct, viaGW []float64
	for r := 1; r <= *rounds; r++ {
		d, err := serial(*n, invokeDirect)
		if err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		direct = append(direct, d...)
		printSerial("Direct", *fn, d)
		if invokeGateway != nil {
			g, err := serial(*n, invokeGateway)
			if err != nil {
				return fmt.Errorf("gateway: %w", err)
			}
			viaGW = append(viaGW, g...)
			printSerial("Gateway", *fn, g)
		}
	}
	w, err := mdFile(*md)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(w, "`%s %s` one request at a time, %d rounds of %d each way, interleaved:\n\n", method, *path, *rounds, *n)
	fmt.Fprintln(w, "| path | median | p10 – p90 | p99 |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	ds := summarize(direct)
	fmt.Fprintf(w, "| %s under the runtime interface emulator directly | %s | %s – %s | %s |\n", *fn, us(ds.med), us(ds.p10), us(ds.p90), us(ds.p99))
	if len(viaGW) > 0 {
		gs := summarize(viaGW)
		fmt.Fprintf(w, "| %s through the local gateway (HTTP), also under the emulator | %s | %s – %s | %s |\n", *fn, us(gs.med), us(gs.p10), us(gs.p90), us(gs.p99))
		fmt.Fprintf(w, "\nLocal gateway overhead (difference of medians): **%s** per request.\n", us(gs.med-ds.med))
	}
	fmt.Fprintln(w)
	return nil
}

// httpEvent is an HTTP API payload 2.0 request, as API Gateway builds it,
// for invoking a function directly.
func httpEvent(method, path string, headers map[string]string, body string) []byte {
	raw, query, _ := strings.Cut(path, "?")
	b, _ := json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + raw, RawPath: raw, RawQueryString: query, Headers: headers, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "000000000000", APIID: "local", DomainName: "127.0.0.1", Stage: "$default",
			RequestID: "bench", RouteKey: method + " " + raw, TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: raw, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "levqor-bench",
			},
		},
	})
	return b
}

func serial(n int, call func() error) ([]float64, error) {
	out := make([]float64, 0, n)
	for range n {
		t0 := time.Now()
		if err := call(); err != nil {
			return nil, err
		}
		out = append(out, float64(time.Since(t0)))
	}
	return out, nil
}

func printSerial(path, fn string, lat []float64) {
	s := summarize(lat)
	fmt.Printf("BenchmarkServe/fn=%s/path=%s %d %.0f ns/op %.0f p99-ns\n", fn, strings.ToLower(path), len(lat), s.med, s.p99)
}
