package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

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

// loadSettings reads the environment through getenv. It returns an error
// naming the variable for a missing required value or an invalid one, so a
// bad deployment fails at its first invocation instead of monitoring
// nothing.
func loadSettings(getenv func(string) string) (settings, error) {
	c := settings{
		Table:      getenv("TABLE_NAME"),
		Bus:        getenv("EVENT_BUS_NAME"),
		Service:    or(getenv("SERVICE_NAME"), "levqor"),
		Function:   or(getenv("AWS_LAMBDA_FUNCTION_NAME"), "keepalive"),
		WebhookURL: getenv("ERROR_WEBHOOK_URL"),
	}
	var errs []error
	if c.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is required (the DynamoDB table holding TARGET# state and runs)"))
	}
	if c.Bus == "" {
		errs = append(errs, errors.New("EVENT_BUS_NAME is required (where TargetDown/TargetRecovered go)"))
	}
	targets, err := probe.ParseTargets([]byte(getenv("KEEPALIVE_TARGETS")))
	if err != nil {
		errs = append(errs, fmt.Errorf("KEEPALIVE_TARGETS: %w", err))
	}
	c.Targets = targets
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
		*th.dst = th.def
		if v := getenv(th.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				errs = append(errs, fmt.Errorf("%s must be a whole number from 1 to 100, not %q", th.name, v))
				continue
			}
			*th.dst = n
		}
	}
	enabled := true
	if v := getenv("WARMUP_ENABLED"); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("WARMUP_ENABLED must be true or false, not %q", v))
		}
		enabled = b
	}
	if enabled {
		c.WarmFunctions = warmer.ParseFunctions(getenv("WARM_FUNCTIONS"))
	}
	return c, errors.Join(errs...)
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
