// Command sdkfloorenv is sdkfloor configured the way the functions are:
// shared/awsconfig (region, static credentials and AWS_ENDPOINT_URL_* from
// the variables Lambda sets) instead of config.LoadDefaultConfig. It is the
// SDK floor the functions are measured against; sdkfloor beside it shows
// what the default credential chain (STS, SSO, SSO OIDC, sign-in, IMDS
// clients) would cost in size and init.
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
