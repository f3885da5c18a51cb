// Command devstack stands the whole API up locally with no AWS account and no
// Docker (`make dev`):
//
//   - DynamoDB Local (AWS's jar, in memory unless -db-path) with the tickets
//     table created from template.yaml;
//   - every function's real bootstrap (from `make build-host`) under AWS's
//     runtime interface emulator, as `sam local` runs it: one emulator per
//     execution environment (infra/invoke.Pool), with the template's
//     environment, timeout and memory size, a few environments per function
//     when requests overlap;
//   - a local HTTP API on -addr with the template's routes (payload 2.0,
//     CORS, API Gateway's own errors); AWS_IAM is not checked, and it says so;
//   - one local AWS endpoint for the functions' SDK clients: EventBridge
//     (every event put on the bus is printed as a JSON line; it can be made to
//     fail with -bus-fail or POST /_local/bus?fail=true), Lambda Invoke and
//     GetFunctionConfiguration, API Gateway GetRoutes;
//   - the template's schedules (each fired once at start, then on its
//     schedule, with Lambda's asynchronous retries) and the tickets table's
//     stream feeding its function (filters, partial batch failures).
//
// Ctrl-C (SIGINT or SIGTERM) stops every process it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/levqor/serverless/infra/devstack/internal/gateway"
)

// config is the command line.
type config struct {
	template    string
	bin         string
	addr        string
	awsAddr     string
	dbPath      string
	dbPort      int
	ddbEndpoint string
	table       string
	maxEnvs     int
	busFail     string
	schedules   bool
	fireAtStart string
	noStreams   bool
	readTimeout time.Duration
	corsOrigins []string
	params      map[string]string
}

func parseFlags(args []string) (config, error) {
	c := config{params: map[string]string{}}
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	fs.StringVar(&c.template, "template", "template.yaml", "SAM template to run")
	fs.StringVar(&c.bin, "bin", "bin/host", "folder holding <function>/bootstrap built for this machine (make build-host)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:3000", "address of the local HTTP API (port 0 picks a free one)")
	fs.StringVar(&c.awsAddr, "aws-addr", "127.0.0.1:0", "address of the local EventBridge endpoint the functions call")
	fs.StringVar(&c.dbPath, "db-path", "", "keep DynamoDB Local's data in this folder (default: in memory, lost at exit)")
	fs.IntVar(&c.dbPort, "db-port", 0, "DynamoDB Local port (0 picks a free one)")
	fs.StringVar(&c.ddbEndpoint, "dynamodb-endpoint", "", "use this already running DynamoDB (Local) instead of starting one (the fault tests put a proxy here)")
	fs.StringVar(&c.table, "table", "levqor-local-tickets", "name of the tickets table in DynamoDB Local")
	fs.IntVar(&c.maxEnvs, "max-envs", 4, "execution environments per function at most (Lambda concurrency, capped by ReservedConcurrentExecutions)")
	fs.StringVar(&c.busFail, "bus-fail", "", `start with the event bus failing: "all" (every call fails) or "entries" (every entry fails)`)
	fs.BoolVar(&c.schedules, "schedules", true, "run the template's schedules")
	fs.StringVar(&c.fireAtStart, "fire-at-start", "all", `schedules fired once at start: "all", "none", or a comma list of rule or event names`)
	fs.BoolVar(&c.noStreams, "no-streams", false, "do not feed the table's stream to its function")
	fs.DurationVar(&c.readTimeout, "read-timeout", gateway.ReadTimeout, "time a client may take to send a whole request, body included (API Gateway's)")
	fs.Func("cors-origin", "an origin the local API allows besides the template's AllowOrigins, e.g. a site on http://localhost:5173 (repeat or comma-separate)", func(v string) error {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.corsOrigins = append(c.corsOrigins, o)
			}
		}
		return nil
	})
	fs.Func("param", "a template parameter, Name=Value, as sam's --parameter-overrides (repeat for more)", func(v string) error {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return fmt.Errorf("want Name=Value, got %q", v)
		}
		c.params[name] = value
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	out := newPrinter(os.Stdout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// One Ctrl-C in a terminal can arrive more than once (make and go run
	// pass it on too): the first starts a clean shutdown, and only a signal
	// a second or more later cuts it short. Even then the emulators and
	// DynamoDB Local die with this process (parent-death signal), and a
	// function busy at that moment ends with its invocation: its Runtime API
	// is gone.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		first := time.Now()
		cancel()
		for range sigs {
			if time.Since(first) > time.Second {
				out.printf("[devstack] interrupted again: exiting without waiting")
				os.Exit(130)
			}
		}
	}()
	s, err := start(ctx, cfg, out)
	if err != nil {
		out.printf("[devstack] %v", err)
		if s != nil {
			s.close()
		}
		os.Exit(1)
	}
	code := 0
	select {
	case <-ctx.Done():
		out.printf("[devstack] stopping: API, schedules, stream, functions, DynamoDB Local (Ctrl-C again to force)")
	case <-s.died():
		// Without DynamoDB Local nothing works, and a restarted one has a new
		// table and stream the functions and the stream poller do not know:
		// stop, saying what died, rather than serve errors for ever.
		out.printf("[devstack] DynamoDB Local exited (%v): stopping the stack; run make dev again. Its last output:\n%s",
			s.ddb.Err(), s.ddb.Output())
		code = 1
	}
	s.close()
	out.printf("[devstack] stopped")
	os.Exit(code)
}

// fireAtStartFor reports whether a rule fires at start under the -fire-at-start list.
func (c config) fireAtStartFor(ruleName, eventName string) bool {
	switch c.fireAtStart {
	case "all":
		return true
	case "none", "":
		return false
	}
	return slices.ContainsFunc(strings.Split(c.fireAtStart, ","), func(n string) bool {
		n = strings.TrimSpace(n)
		return n == ruleName || n == eventName
	})
}
