// Command sdkfloor is the bench's SDK reference: the bare "hello" plus the
// AWS SDK set the tickets function links, configured the way every function
// is, with config.LoadDefaultConfig (see package floor). hello -> sdkfloor is
// what the SDK costs; sdkfloor -> tickets is what the project's own code
// costs.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/levqor/serverless/infra/bench/floor"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkfloor:", err)
		os.Exit(1)
	}
	floor.Start(cfg)
}
