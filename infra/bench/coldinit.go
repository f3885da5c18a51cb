package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/levqor/serverless/infra/proc"
	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/heap"
)

// lambdaDefaultMemory is the MemorySize, in MB, of a function that sets none.
const lambdaDefaultMemory = 128

// coldInitCmd starts each binary n times under the bench's initAPI and
// measures from just before exec to its first GET /runtime/invocation/next:
// the part of a Lambda cold start the function's own code controls. The
// binaries are interleaved so drift on the machine hits all alike. It also
// reports GODEBUG=inittrace=1 package init costs, and counts connections to
// AWS endpoints made during init (every AWS endpoint points at a canary
// listener): that must be zero.
func coldInitCmd(args []string) error {
	fs := flag.NewFlagSet("coldinit", flag.ExitOnError)
	n := fs.Int("n", 20, "starts per binary (at least 20)")
	traces := fs.Int("traces", 5, "GODEBUG=inittrace=1 runs per binary")
	tplPath := fs.String("template", "template.yaml", "SAM template for each function's environment")
	md := fs.String("md", "", "append Markdown to this file")
	fs.Parse(args)
	if *n < 20 || *n > 500 {
		return fmt.Errorf("-n %d: want 20..500", *n)
	}
	bins, err := pairs(fs.Args())
	if err != nil {
		return err
	}
	h, err := newHarness(*tplPath)
	if err != nil {
		return err
	}
	defer h.Close()
	api, err := newInitAPI()
	if err != nil {
		return err
	}
	defer api.Close()
	tpl, canary := h.tpl, h.canary

	envs := map[string][]string{}
	for _, b := range bins {
		envs[b[0]] = functionEnv(tpl, b[0], api.Addr(), canary.Addr())
	}
	// One unmeasured start each, so every binary is in the page cache.
	for _, b := range bins {
		if _, _, err := startOnce(api, b[1], envs[b[0]]); err != nil {
			return fmt.Errorf("%s: %w", b[0], err)
		}
	}
	samples := map[string][]float64{}
	for i := 0; i < *n; i++ {
		for j := range bins {
			b := bins[(i+j)%len(bins)] // rotate the order each round
			d, _, err := startOnce(api, b[1], envs[b[0]])
			if err != nil {
				return fmt.Errorf("%s: %w", b[0], err)
			}
			samples[b[0]] = append(samples[b[0]], float64(d))
		}
	}
	inits := map[string]initTrace{}
	for _, b := range bins {
		tr := initTrace{pkgs: map[string][]float64{}}
		for range *traces {
			_, stderr, err := startOnce(api, b[1], append(envs[b[0]], "GODEBUG=inittrace=1"))
			if err != nil {
				return fmt.Errorf("%s inittrace: %w", b[0], err)
			}
			tr.add(stderr)
		}
		inits[b[0]] = tr
	}

	w, err := mdFile(*md)
	if err != nil {
		return err
	}
	defer w.Close()
	ref := summarize(samples[bins[0][0]])
	fmt.Fprintf(w, "Process start to first `GET /runtime/invocation/next`, %d starts each, interleaved; reference **%s**.\n\n", *n, bins[0][0])
	fmt.Fprintln(w, "| binary | median | p10 – p90 | min – max | median vs hello | within 3 ms |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | :---: |")
	for _, b := range bins {
		for _, x := range samples[b[0]] {
			fmt.Printf("BenchmarkColdInit/fn=%s 1 %.0f ns/op\n", b[0], x)
		}
		s := summarize(samples[b[0]])
		ok := "yes"
		if s.med-ref.med > 3e6 {
			ok = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %s – %s | %s – %s | %+.2f ms | %s |\n", b[0], ms(s.med), ms(s.p10), ms(s.p90), ms(s.min), ms(s.max), (s.med-ref.med)/1e6, ok)
	}
	fmt.Fprintf(w, "\nConnections to AWS endpoints during all %d measured and traced starts: **%d** (every AWS endpoint pointed at a canary listener; credentials static, IMDS disabled).\n\n",
		(*n+*traces+1)*len(bins), canary.Count())

	fmt.Fprintf(w, "Package init (`GODEBUG=inittrace=1`, median of %d runs): total clock and the five costliest packages.\n\n", *traces)
	fmt.Fprintln(w, "| binary | packages | total init clock | total allocs | top entries (clock ms) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
	for _, b := range bins {
		tr := inits[b[0]]
		for i := range tr.total {
			fmt.Printf("BenchmarkInitTrace/fn=%s 1 %.0f init-ns %.0f init-B %.0f init-allocs\n", b[0], tr.total[i]*1e6, tr.bytes[i], tr.allocs[i])
		}
		fmt.Fprintf(w, "| %s | %d | %.3f ms | %.0f | %s |\n", b[0], len(tr.pkgs), summarize(tr.total).med, summarize(tr.allocs).med, tr.top(5))
	}
	fmt.Fprintln(w)
	return nil
}

// harness is what coldinit and direct run a function binary with: the
// template (for its environment) and the endpoint canary.
type harness struct {
	tpl    *samtemplate.Template
	canary *canary
}

func newHarness(tplPath string) (*harness, error) {
	tpl, err := samtemplate.Load(tplPath, samtemplate.Options{Overrides: samtemplate.LocalOverrides("levqor-bench")})
	if err != nil {
		return nil, err
	}
	c, err := newCanary()
	if err != nil {
		return nil, err
	}
	return &harness{tpl: tpl, canary: c}, nil
}

func (h *harness) Close() { h.canary.Close() }

// functionEnv is the environment Lambda would give the function named dir
// (its template Variables resolved for local use and its MemorySize; a
// reference binary gets the Globals' MemorySize, and either Lambda's
// default, 128, when the template sets none), pointed at api, with static
// credentials and every AWS endpoint at the canary.
func functionEnv(tpl *samtemplate.Template, dir, api, canary string) []string {
	fn := tpl.FunctionByDir(dir)
	var memory float64
	if fn != nil {
		memory = float64(fn.MemorySize) // the Globals' merged in
	} else {
		memory, _ = tpl.Globals["Function"]["MemorySize"].(float64)
	}
	if memory <= 0 {
		memory = lambdaDefaultMemory
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=levqor-bench-" + dir,
		heap.MemoryEnv + "=" + strconv.Itoa(int(memory)),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_REGION=eu-west-2", "AWS_DEFAULT_REGION=eu-west-2",
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=bench",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=http://" + canary,
		"_HANDLER=bootstrap",
	}
	if fn != nil {
		env = append(env, proc.Environ(fn.Env)...)
	}
	return env
}

// startOnce runs bin with env until its first /next and stops it. It
// returns the time from just before exec to that request and the process's
// stderr, or an error (with that stderr) when it exits or takes over 10 s.
func startOnce(api *initAPI, bin string, env []string) (time.Duration, string, error) {
	out := &proc.Tail{Max: 1 << 20}
	arrived := api.Expect()
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, io.Discard, out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() { cmd.Process.Kill(); <-exited }
	select {
	case t1 := <-arrived:
		stop()
		return t1.Sub(t0), out.String(), nil
	case err := <-exited:
		return 0, "", fmt.Errorf("exited during init (%v): %s", err, out.String())
	case <-time.After(10 * time.Second):
		stop()
		return 0, "", fmt.Errorf("no /next within 10s: %s", out.String())
	}
}

// initLine matches one GODEBUG=inittrace=1 record.
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)

type initTrace struct {
	pkgs                 map[string][]float64 // clock ms per run
	total, bytes, allocs []float64            // per run
}

func (t *initTrace) add(stderr string) {
	var total, by, al float64
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		c, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseFloat(m[3], 64)
		a, _ := strconv.ParseFloat(m[4], 64)
		t.pkgs[m[1]] = append(t.pkgs[m[1]], c)
		total, by, al = total+c, by+b, al+a
	}
	t.total, t.bytes, t.allocs = append(t.total, total), append(t.bytes, by), append(t.allocs, al)
}

func (t *initTrace) top(k int) string {
	type e struct {
		pkg string
		ms  float64
	}
	var es []e
	for p, xs := range t.pkgs {
		es = append(es, e{p, summarize(xs).med})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].ms > es[j].ms || (es[i].ms == es[j].ms && es[i].pkg < es[j].pkg) })
	var parts []string
	for i := 0; i < k && i < len(es); i++ {
		parts = append(parts, fmt.Sprintf("%s %.3f", es[i].pkg, es[i].ms))
	}
	return strings.Join(parts, ", ")
}

// canary is a listener standing in for every AWS endpoint; it counts the
// connections it is offered and closes them.
type canary struct {
	ln net.Listener
	n  atomic.Int64
}

func newCanary() (*canary, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &canary{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.n.Add(1)
			conn.Close()
		}
	}()
	return c, nil
}

func (c *canary) Addr() string { return c.ln.Addr().String() }
func (c *canary) Count() int64 { return c.n.Load() }
func (c *canary) Close()       { c.ln.Close() }
