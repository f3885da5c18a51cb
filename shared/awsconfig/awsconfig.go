// Package awsconfig builds the aws.Config a Lambda function's AWS clients
// share, from the environment only.
//
// Why not config.LoadDefaultConfig: Lambda hands every function its region
// and its role's credentials in the environment (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The default
// chain's other sources (shared config and credentials files, SSO, STS
// web identity and assume-role, IMDS, container and process credentials)
// never apply in a Lambda, yet linking aws-sdk-go-v2/config pulls in their
// STS, SSO, SSO OIDC, sign-in and IMDS clients into every binary and cold
// start (measured by make bench at ae77d76: sdkfloor against sdkfloorenv).
// This package keeps
// what the functions and the local tools (infra/devstack, infra/invoke,
// infra/faults, infra/bench) actually rely on:
//
//   - region: AWS_REGION, else AWS_DEFAULT_REGION;
//   - static credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the
//     optional AWS_SESSION_TOKEN and AWS_ACCOUNT_ID;
//   - endpoint overrides, read the way the SDK reads them:
//     AWS_ENDPOINT_URL_<SERVICE> (the service's ServiceID upper-cased,
//     spaces as underscores: DYNAMODB, EVENTBRIDGE, LAMBDA, APIGATEWAYV2,
//     CLOUDFORMATION), then AWS_ENDPOINT_URL for every service, both
//     switched off by AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
//
// The per-service overrides need no code at the client: Load puts a config
// source in aws.Config.ConfigSources that answers the SDK's own per-service
// endpoint lookup, so `dynamodb.NewFromConfig(cfg)` honours
// AWS_ENDPOINT_URL_DYNAMODB exactly as it does with LoadDefaultConfig.
//
// Nothing here makes a network call, so building clients at init stays free
// of I/O.
package awsconfig

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	smithylog "github.com/aws/smithy-go/logging"

	"github.com/levqor/serverless/shared/awsretry"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/retry"
)

// Load returns the aws.Config described in the package comment, reading
// variables through getenv (os.Getenv in a function's main; an empty value
// counts as unset). The SDK's own log lines (its rare warnings) go to l as
// structured records, through the invocation's logger when the call's
// context carries one (shared/logging.With), so they are JSON lines with
// correlation ids like every other; nil l uses slog.Default. It returns an error naming the variable when the region
// or the credentials are missing, when only one half of the key pair is
// set, or when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is neither true nor
// false, so a misconfigured function fails its first cold start with a
// clear message instead of failing every AWS call later.
func Load(getenv func(string) string, l *slog.Logger) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("AWS_REGION (or AWS_DEFAULT_REGION) is required (Lambda sets it)")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id == "" && secret == "":
		return aws.Config{}, fmt.Errorf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required (Lambda sets them from the function's role)")
	case id == "":
		return aws.Config{}, fmt.Errorf("AWS_ACCESS_KEY_ID is required when AWS_SECRET_ACCESS_KEY is set")
	case secret == "":
		return aws.Config{}, fmt.Errorf("AWS_SECRET_ACCESS_KEY is required when AWS_ACCESS_KEY_ID is set")
	}
	src := &envSource{getenv: getenv}
	if v := getenv(ignoreEndpointsEnv); v != "" {
		switch {
		case strings.EqualFold(v, "true"):
			src.ignore = true
		case strings.EqualFold(v, "false"):
		default:
			return aws.Config{}, fmt.Errorf("%s must be true or false, got %q", ignoreEndpointsEnv, v)
		}
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: aws.Credentials{
			AccessKeyID:     id,
			SecretAccessKey: secret,
			SessionToken:    getenv("AWS_SESSION_TOKEN"),
			AccountID:       getenv("AWS_ACCOUNT_ID"),
			Source:          credentials.StaticCredentialsName,
		}}),
		Logger: SDKLogger(l),
		// The one retry policy of every AWS client: retry.Default's three
		// attempts and full-jitter backoff, through the SDK's retryer.
		Retryer:       func() aws.Retryer { return awsretry.Retryer(retry.Default()) },
		ConfigSources: []any{src},
	}
	if u := getenv(endpointEnv); u != "" && !src.ignore {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
}

// The SDK's names for the endpoint variables (aws-sdk-go-v2/config env_config.go).
const (
	endpointEnv        = "AWS_ENDPOINT_URL"
	ignoreEndpointsEnv = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
)

// EndpointVar returns the variable that overrides the endpoint of the
// service whose ServiceID is serviceID (e.g. dynamodb.ServiceID "DynamoDB"
// gives AWS_ENDPOINT_URL_DYNAMODB, apigatewayv2.ServiceID "ApiGatewayV2"
// gives AWS_ENDPOINT_URL_APIGATEWAYV2), named as the SDK names it.
func EndpointVar(serviceID string) string {
	return endpointEnv + "_" + strings.ReplaceAll(strings.ToUpper(serviceID), " ", "_")
}

// envSource is the config source every service client consults for its own
// endpoint (the SDK's internal/configsources looks for these two methods in
// aws.Config.ConfigSources).
type envSource struct {
	getenv func(string) string
	ignore bool
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for sdkID when
// it is set. It never returns an error.
func (s *envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := s.getenv(EndpointVar(sdkID))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
// which turns every endpoint override off. It never returns an error (Load
// has checked the value).
func (s *envSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignore, s.ignore, nil
}

// SDKLogger returns a logger for aws.Config.Logger that writes the SDK's
// messages to l (slog.Default when nil) as records with source "aws-sdk":
// Warn classifications at warn level, Debug at debug. The SDK asks it for
// each operation's context (smithy's ContextLogger), and a context carrying
// an invocation's logger (shared/logging.With) is used instead of l, so the
// line has that invocation's request and correlation ids.
func SDKLogger(l *slog.Logger) smithylog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return sdkLogger{l}
}

type sdkLogger struct{ l *slog.Logger }

// Logf writes one SDK message.
func (s sdkLogger) Logf(c smithylog.Classification, format string, v ...any) {
	lvl := slog.LevelWarn
	if c == smithylog.Debug {
		lvl = slog.LevelDebug
	}
	s.l.Log(context.Background(), lvl, fmt.Sprintf(format, v...), "source", "aws-sdk")
}

// WithContext returns the logger for one operation: ctx's invocation
// logger when it has one.
func (s sdkLogger) WithContext(ctx context.Context) smithylog.Logger {
	if l := logging.From(ctx); l != slog.Default() {
		return sdkLogger{l}
	}
	return s
}
