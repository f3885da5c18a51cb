package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// verdictCmd reads the raw results of this run (the bench's own lines and
// the go test -bench output) and writes the targets beside the
// measured medians.
func verdictCmd(args []string) error {
	fs := flag.NewFlagSet("verdict", flag.ExitOnError)
	raw := fs.String("raw", "", "the run's benchstat-comparable lines (bench.txt)")
	md := fs.String("md", "", "append Markdown to this file")
	fs.Parse(args)
	vals, err := readBench(*raw)
	if err != nil {
		return err
	}
	w, err := mdFile(*md)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintln(w, "| target | measured in this run | met |")
	fmt.Fprintln(w, "| --- | --- | :---: |")
	row := func(target, measured string, ok bool, have bool) {
		res := "yes"
		switch {
		case !have:
			res, measured = "not measured", "—"
		case !ok:
			res = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", target, measured, res)
	}
	get := func(name, unit string) (float64, bool) {
		xs := vals[name+" "+unit]
		if len(xs) == 0 {
			return 0, false
		}
		return summarize(xs).med, true
	}
	// The functions build their AWS configuration with shared/awsconfig, so
	// their SDK floor is sdkfloorenv.
	floorNote := func(unit string, scale float64, format string) string {
		if env, ok := get("BinarySize/fn=sdkfloorenv", unit); ok {
			return fmt.Sprintf(" (SDK floor `sdkfloorenv`: "+format+")", env/scale)
		}
		return ""
	}
	s, ok := get("BinarySize/fn=tickets", "stripped-B")
	row("tickets ≤ 8 MiB stripped (linux/arm64)", fmt.Sprintf("%.2f MiB", s/(1<<20))+floorNote("stripped-B", 1<<20, "%.2f MiB"), s <= 8<<20, ok)
	z, ok := get("BinarySize/fn=tickets", "zipped-B")
	row("tickets ≤ 3 MiB zipped", fmt.Sprintf("%.2f MiB", z/(1<<20))+floorNote("zipped-B", 1<<20, "%.2f MiB"), z <= 3<<20, ok)
	hello, hok := get("ColdInit/fn=hello", "ns/op")
	// Cold init is a target where a user waits: the HTTP request path
	// (health, tickets). The scheduled functions' figures are reported;
	// nobody waits on an hourly or daily run.
	for _, fn := range []string{"health", "tickets"} {
		c, ok := get("ColdInit/fn="+fn, "ns/op")
		m := fmt.Sprintf("%.2f ms vs %.2f ms (%+.2f ms)", c/1e6, hello/1e6, (c-hello)/1e6)
		row("cold init of "+fn+" within 3 ms of hello's median", m, c-hello <= 3e6, ok && hok)
	}
	for _, fn := range []string{"keepalive", "driftscan"} {
		if c, ok := get("ColdInit/fn="+fn, "ns/op"); ok && hok {
			m := fmt.Sprintf("%.2f ms (%+.2f ms over hello)", c/1e6, (c-hello)/1e6)
			if f, fok := get("ColdInit/fn=sdkfloordrift", "ns/op"); fn == "driftscan" && fok {
				m += fmt.Sprintf("; its five SDK clients alone (`sdkfloordrift`): %+.2f ms over hello", (f-hello)/1e6)
			}
			fmt.Fprintf(w, "| _reported, scheduled: cold init of %s_ | %s | — |\n", fn, m)
		}
	}
	for _, ref := range []struct{ fn, what string }{
		{"sdkfloorenv", "SDK floor `sdkfloorenv` (shared/awsconfig, as the functions)"},
		{"sdkfloordrift", "SDK floor of driftscan `sdkfloordrift` (its five clients, shared/awsconfig)"},
	} {
		if f, ok := get("ColdInit/fn="+ref.fn, "ns/op"); ok && hok {
			fmt.Fprintf(w, "| _reference: %s cold init_ | %.2f ms (%+.2f ms over hello) | — |\n", ref.what, f/1e6, (f-hello)/1e6)
		}
	}
	c, ok := get("CreateTicket/seed-2", "ns/op")
	if !ok {
		c, ok = get("CreateTicket/seed", "ns/op")
	}
	floor, fok := get("PutItemFloor-2", "ns/op")
	m := fmt.Sprintf("%.1f µs/op", c/1e3)
	if calls, cok := get("CreateTicket/seed-2", "aws-calls/op"); cok {
		m += fmt.Sprintf(", %.0f AWS call(s)/op", calls)
	}
	if fok {
		m += fmt.Sprintf(" (one bare PutItem through the same SDK and in-process stub: %.1f µs/op)", floor/1e3)
	}
	if d, dok := get("CreateTicket/seed-default-gc-2", "ns/op"); dok {
		m += fmt.Sprintf("; with Go's default garbage collector instead of the function's (shared/heap): %.1f µs/op", d/1e3)
	}
	if lb, lok := get("CreateTicket/seed-loopback-2", "ns/op"); lok {
		m += fmt.Sprintf("; with the stub behind a loopback HTTP server instead: %.1f µs/op", lb/1e3)
	}
	row("ticket created with one DynamoDB write ≤ 120 µs/op", m, c <= 120e3, ok)
	k, kok := get("CreateTicket/idempotency-key-2", "aws-calls/op")
	old, ook := get("CreateTicket/idempotency-key-3writes-2", "aws-calls/op")
	if kok && ook {
		kt, _ := get("CreateTicket/idempotency-key-2", "ns/op")
		ot, _ := get("CreateTicket/idempotency-key-3writes-2", "ns/op")
		row("AWS calls per idempotent create: 1 (one TransactWriteItems)",
			fmt.Sprintf("%.0f call, %.1f µs/op; the previous three-write design in the same run: %.0f calls, %.1f µs/op. The transaction consumes twice the write units of plain writes for its two items (4 WCU for items up to 1 KB, where the three writes took 3)", k, kt/1e3, old, ot/1e3),
			k == 1, true)
	}
	gz, gok := get("ClientLoggerScript-2", "gzip-B")
	mn, _ := get("ClientLoggerScript-2", "min-B")
	row("browser logger (`GET /client-logger.js`) ≤ 3 KiB minified and gzipped",
		fmt.Sprintf("%.2f KiB gzipped, %.2f KiB minified (Sentry's browser SDK is tens of KiB)", gz/1024, mn/1024), gz <= 3<<10, gok)
	ing, iok := get("Ingest/batch-50-2", "ns/op")
	m = fmt.Sprintf("%.0f µs/op", ing/1e3)
	if scr, ok := get("BatchScrub/batch-50-2", "ns/op"); ok && iok {
		m += fmt.Sprintf(", of which scrubbing the messages, stacks and URLs %.0f µs (%.0f %%)", scr/1e3, 100*scr/ing)
	}
	if p, ok := get("BatchParse/batch-50-2", "ns/op"); ok {
		m += fmt.Sprintf("; parsing with scrubbing alone %.0f µs", p/1e3)
	}
	if l, ok := get("BatchLog/batch-50-2", "ns/op"); ok {
		m += fmt.Sprintf(", the 50 log lines alone %.0f µs", l/1e3)
	}
	if inv, ok := get("IngestInvoke/batch-50-2", "ns/op"); ok {
		m += fmt.Sprintf("; through Invoke, the Lambda event decoded first: %.0f µs/op", inv/1e3)
	}
	row("ingest of a full 50-record batch (events/clientlogs-full.json) ≤ 500 µs/op: parse, scrub, log lines", m, ing <= 500e3, iok)
	if pg, ok := get("Page-2", "ns/op"); ok {
		items, _ := get("Page-2", "items/view")
		m := fmt.Sprintf("%.0f µs/op, %.0f DynamoDB items read per view (state, the last day's runs, 90 roll-ups, incidents per target)", pg/1e3, items)
		if wait, ok := get("PageWait-2", "ns/op"); ok {
			m += fmt.Sprintf("; with every one of its 20 reads taking 1 ms, a view waits %.1f ms for them (the targets read side by side)", wait/1e6)
		}
		fmt.Fprintf(w, "| _reported: the status page for 5 targets × 90 days × 24 runs a day, built and rendered_ | %s | — |\n", m)
	}
	var errs float64
	var have bool
	for k, xs := range vals {
		if strings.HasPrefix(k, "E2E/") && strings.HasSuffix(k, " errors") {
			have = true
			for _, x := range xs {
				errs += x
			}
		}
	}
	row("end to end: 0 errors", fmt.Sprintf("%.0f errors", errs), errs == 0, have)
	fmt.Fprintln(w)
	return nil
}

// readBench parses benchstat-format lines into name+unit -> samples; the
// "Benchmark" prefix is dropped.
func readBench(path string) (map[string][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			out[name+" "+fields[i+1]] = append(out[name+" "+fields[i+1]], v)
		}
	}
	return out, sc.Err()
}
