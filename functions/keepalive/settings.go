package main

import (
	"errors"
	"fmt"

	"github.com/levqor/serverless/shared/envconfig"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/uptime"
	"github.com/levqor/serverless/shared/warmer"
)

// settings is the function's configuration, read from the environment.
type settings struct {
	Table, Bus    string
	Service       string
	Function      string
	Targets       []probe.Target // nil: the default target (this API's /health)
	Thresholds    uptime.Thresholds
	WarmFunctions []string // empty: no warm-ups
	WebhookURL    string
}

// loadSettings reads the environment through env. It returns an error
// naming the variable for a missing required value or an invalid one, so a
// bad deployment fails at its first invocation instead of monitoring
// nothing.
func loadSettings(env envconfig.Source) (settings, error) {
	c := settings{
		Service:    env.String("SERVICE_NAME", "levqor"),
		Function:   env.String("AWS_LAMBDA_FUNCTION_NAME", "keepalive"),
		WebhookURL: env("ERROR_WEBHOOK_URL"),
	}
	var errs []error
	var err error
	if c.Table, err = env.Required("TABLE_NAME", "the DynamoDB table holding TARGET# state and runs"); err != nil {
		errs = append(errs, err)
	}
	if c.Bus, err = env.Required("EVENT_BUS_NAME", "where TargetDown/TargetRecovered go"); err != nil {
		errs = append(errs, err)
	}
	if c.Targets, err = probe.ParseTargets([]byte(env("KEEPALIVE_TARGETS"))); err != nil {
		errs = append(errs, fmt.Errorf("KEEPALIVE_TARGETS: %w", err))
	}
	d := uptime.DefaultThresholds()
	for _, th := range []struct {
		name string
		dst  *int
		def  int
	}{
		{"KEEPALIVE_DOWN_AFTER", &c.Thresholds.DownAfter, d.DownAfter},
		{"KEEPALIVE_RECOVER_AFTER", &c.Thresholds.RecoverAfter, d.RecoverAfter},
		{"KEEPALIVE_DEGRADED_AFTER", &c.Thresholds.DegradedAfter, d.DegradedAfter},
	} {
		if *th.dst, err = env.Int(th.name, th.def, 1, 100); err != nil {
			errs = append(errs, err)
		}
	}
	enabled, err := env.Bool("WARMUP_ENABLED", true)
	if err != nil {
		errs = append(errs, err)
	}
	if enabled {
		c.WarmFunctions = warmer.ParseFunctions(env("WARM_FUNCTIONS"))
	}
	return c, errors.Join(errs...)
}
