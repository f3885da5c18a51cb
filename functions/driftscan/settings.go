package main

import (
	"time"

	"github.com/levqor/serverless/shared/awsdrift"
	"github.com/levqor/serverless/shared/drift"
	"github.com/levqor/serverless/shared/envconfig"
)

// settings is the function's configuration (README's table lists it).
type settings struct {
	table, bus        string
	service, function string
	stack, rule       string
	names             map[string]string // baseline logical id -> deployed function name
	skip              map[string]string // service -> why its checks are skipped
	budget            time.Duration
	webhook           string
}

// readSettings reads the configuration through r against the baseline b;
// r.Err reports every missing or malformed variable at once.
func readSettings(r *envconfig.Reader, b drift.Baseline) settings {
	var s settings
	s.table = r.Required("TABLE_NAME", "the tickets table, where reports are kept")
	s.bus = r.Required("EVENT_BUS_NAME", "the bus DriftDetected goes to")
	s.stack = r.String("STACK_NAME", "")
	s.rule = r.String("KEEPALIVE_RULE_NAME", "")
	r.Parse("FUNCTION_NAMES", "", func(v string) (err error) {
		s.names, err = drift.ParseFunctionNames(v, b)
		return err
	})
	r.Parse("DRIFT_SKIP", "", func(v string) (err error) {
		s.skip, err = drift.ParseSkip(v)
		return err
	})
	s.budget = r.Duration("DRIFT_BUDGET", awsdrift.DefaultBudget, time.Nanosecond, 0)
	s.webhook = r.String("ERROR_WEBHOOK_URL", "")
	s.service, s.function = r.Common("driftscan")
	return s
}
