// Command sdkfloorenv is sdkfloor configured without config.LoadDefaultConfig:
// region and credentials straight from the variables Lambda sets
// (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
// It shows what the default credential chain (STS, SSO, SSO OIDC, sign-in,
// IMDS clients) costs in size and init, for weighing the binary-size target
// against house style rule 1. Note what it gives up: AWS_ENDPOINT_URL_* and
// shared config files are not read.
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/levqor/serverless/infra/bench/floor"
)

func main() {
	floor.Start(aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	})
}
