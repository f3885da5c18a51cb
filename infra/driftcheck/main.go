// Command driftcheck is `make drift`: the static half of the drift scan on a
// checkout, as the seed's drift-monitor.js was in CI. It checks that
// template.yaml, the function folders, the Makefile's build-<LogicalId>
// targets, the events files and the policy values in code agree with the
// embedded v12.12 baseline, prints the report and exits driftctl-style:
// 0 in sync, 1 drift, 2 the check could not run.
//
// Usage:
//
//	go run ./infra/driftcheck [-root DIR] [-json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/drift"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("driftcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "", "checkout to check (default: the module root above the working directory)")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of text")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "driftcheck: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *root == "" {
		r, err := samtemplate.FindModuleRoot(".")
		if err != nil {
			fmt.Fprintf(stderr, "driftcheck: %v\n", err)
			return 2
		}
		*root = r
	}
	b, err := drift.Current()
	if err != nil {
		fmt.Fprintf(stderr, "driftcheck: %v\n", err)
		return 2
	}
	rep := Static(*root, b, drift.CodePolicy(), time.Now())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep) // a report of strings and ints always encodes
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	return rep.ExitCode()
}
