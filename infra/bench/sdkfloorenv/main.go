// Command sdkfloorenv is the SDK floor the functions are measured against:
// hello plus the tickets function's SDK set (infra/bench/floor), configured
// the way the functions are, with shared/awsconfig (region, static
// credentials and AWS_ENDPOINT_URL_* from the variables Lambda sets).
package main

import (
	"fmt"
	"os"

	"github.com/levqor/serverless/infra/bench/floor"
	"github.com/levqor/serverless/shared/awsconfig"
)

func main() {
	cfg, err := awsconfig.Load(os.Getenv, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkfloorenv: AWS configuration:", err)
		os.Exit(1)
	}
	floor.Start(cfg)
}
