package main

import (
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

// loadSettings reads the configuration through r; r.Err reports every
// missing or invalid variable at once, so a bad deployment fails at its
// first invocation instead of monitoring nothing.
func loadSettings(r *envconfig.Reader) settings {
	var c settings
	c.Table = r.Required("TABLE_NAME", "the DynamoDB table holding TARGET# state and runs")
	c.Bus = r.Required("EVENT_BUS_NAME", "where TargetDown/TargetRecovered go")
	r.Parse("KEEPALIVE_TARGETS", "", func(v string) (err error) {
		c.Targets, err = probe.ParseTargets([]byte(v))
		return err
	})
	d := uptime.DefaultThresholds()
	c.Thresholds.DownAfter = r.Int("KEEPALIVE_DOWN_AFTER", d.DownAfter, 1, 100)
	c.Thresholds.RecoverAfter = r.Int("KEEPALIVE_RECOVER_AFTER", d.RecoverAfter, 1, 100)
	c.Thresholds.DegradedAfter = r.Int("KEEPALIVE_DEGRADED_AFTER", d.DegradedAfter, 1, 100)
	enabled := r.Bool("WARMUP_ENABLED", true)
	if fns := r.String("WARM_FUNCTIONS", ""); enabled {
		c.WarmFunctions = warmer.ParseFunctions(fns)
	}
	c.WebhookURL = r.String("ERROR_WEBHOOK_URL", "")
	c.Service, c.Function = r.Common("keepalive")
	return c
}
