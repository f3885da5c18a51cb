// Command invoke runs one function once on one event under the Lambda
// runtime interface emulator, like `sam local invoke` without Docker:
//
//	go run ./infra/invoke/cmd/invoke FN EVENT     (make invoke FN=health EVENT=events/health.json)
//
// FN is a folder under functions/ (health) or a logical id (HealthFunction).
// It builds the function for this machine into bin/host/<fn>/bootstrap, gives
// it its environment from template.yaml resolved for local use, starts
// DynamoDB Local with the table from template.yaml when the function has a
// TABLE_NAME (or uses $DYNAMODB_ENDPOINT), prints events published to the
// bus on stderr, sends the event, prints the response (indented JSON) on
// stdout and the function's logs with the START/END/REPORT lines (Init
// Duration) on stderr, as `sam local invoke` does, and stops
// everything. Exit status: 0 answered, 1 the function failed (a Lambda
// function error, a timeout, or no answer), 2 bad usage or setup.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/invoke"
	"github.com/levqor/serverless/infra/samtemplate"
)

// localTable is the table name make invoke uses in DynamoDB Local.
const localTable = "levqor-local-tickets"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: invoke FN EVENT   e.g. invoke health events/health.json")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1], os.Args[2]))
}

func run(ctx context.Context, name, eventPath string) int {
	code, err := invokeOnce(ctx, name, eventPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
	}
	return code
}

// invokeOnce returns the exit code, with the error behind a 1 or a 2 (a
// failure before the function ran).
func invokeOnce(ctx context.Context, name, eventPath string) (int, error) {
	event, err := os.ReadFile(eventPath)
	if err != nil {
		return 2, err
	}
	if !json.Valid(event) {
		return 2, fmt.Errorf("%s is not JSON", eventPath)
	}
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		return 2, err
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), samtemplate.Options{Overrides: samtemplate.LocalOverrides(localTable)})
	if err != nil {
		return 2, err
	}
	fn := tpl.FunctionByDir(name)
	if fn == nil {
		fn = tpl.Function(name)
	}
	if fn == nil {
		var names []string
		for _, f := range tpl.Functions {
			names = append(names, f.Dir)
		}
		return 2, fmt.Errorf("no function %q in template.yaml (have %v)", name, names)
	}

	bin := filepath.Join(root, "bin", "host", fn.Dir, "bootstrap")
	fmt.Fprintf(os.Stderr, "invoke: building %s -> %s\n", fn.LogicalID, bin)
	if err := invoke.BuildHost(ctx, root, "./functions/"+fn.Dir, bin); err != nil {
		return 2, err
	}
	rie, err := invoke.RIE(root)
	if err != nil {
		return 2, err
	}

	var ddb string
	if _, ok := fn.Env["TABLE_NAME"]; ok {
		var stopDDB func()
		if ddb, stopDDB, err = table(ctx, tpl); err != nil {
			return 2, err
		}
		defer stopDDB()
	}
	bus, err := invoke.StartBus(os.Stderr)
	if err != nil {
		return 2, err
	}
	defer bus.Close()

	em, err := invoke.Start(ctx, invoke.Options{
		RIE: rie, Bootstrap: bin, Output: os.Stderr,
		Env: invoke.Env(fn, invoke.LocalEndpoints(ddb, bus.URL)),
	})
	if err != nil {
		return 2, err
	}
	defer em.Stop()

	timeout := time.Duration(fn.Timeout+5) * time.Second
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := em.Invoke(ictx, event)
	if err != nil {
		return 1, err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		pretty.Write(out)
	}
	// The emulator's REPORT line goes to stderr with the logs; wait for
	// it so it is not cut off by Stop.
	em.Report(2 * time.Second)
	fmt.Println(pretty.String())
	if invoke.FunctionError(out) != "" || invoke.TimedOut(out) {
		return 1, nil
	}
	return 0, nil
}

// table returns a DynamoDB Local endpoint holding the template's table,
// and how to stop it: $DYNAMODB_ENDPOINT when set (left running), else a
// server started for this run.
func table(ctx context.Context, tpl *samtemplate.Template) (string, func(), error) {
	ep, stop := os.Getenv(dynamolocal.EnvEndpoint), func() {}
	if ep == "" {
		fmt.Fprintln(os.Stderr, "invoke: starting DynamoDB Local")
		srv, err := dynamolocal.Start(ctx, dynamolocal.Options{})
		if err != nil {
			return "", nil, err
		}
		ep, stop = srv.Endpoint, func() { _ = srv.Stop() }
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := dynamolocal.CreateTable(cctx, dynamolocal.NewClient(ep), tpl, localTable); err != nil {
		stop()
		return "", nil, err
	}
	return ep, stop, nil
}
