// Command sdkfloor is the bench's SDK reference with config.LoadDefaultConfig:
// the bare "hello" plus the AWS SDK set the tickets function links (see
// package floor), configured as the functions were before shared/awsconfig.
// sdkfloorenv -> sdkfloor is what the default credential chain would cost;
// the functions' own floor is sdkfloorenv.
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
