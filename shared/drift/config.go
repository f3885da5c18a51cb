package drift

import (
	"fmt"
	"slices"
	"strings"
)

// ParseFunctionNames reads the FUNCTION_NAMES variable:
// "HealthFunction=levqor-dev-HealthFunction-AbC,TicketsFunction=...", one
// logical id and deployed name per comma-separated pair (spaces around
// either are ignored). It returns an error naming the pair for a pair
// without "=", an empty id or name, a repeated id, or an id the baseline
// does not list (a typo would otherwise skip a function silently). An empty
// string is an empty map.
func ParseFunctionNames(s string, b Baseline) (map[string]string, error) {
	m := map[string]string{}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		id, name, ok := strings.Cut(pair, "=")
		id, name = strings.TrimSpace(id), strings.TrimSpace(name)
		switch {
		case !ok || id == "" || name == "":
			return nil, fmt.Errorf("FUNCTION_NAMES: %q is not LogicalId=function-name", pair)
		case m[id] != "":
			return nil, fmt.Errorf("FUNCTION_NAMES: %s given twice", id)
		}
		if _, known := b.Function(id); !known {
			return nil, fmt.Errorf("FUNCTION_NAMES: %s is not a function of baseline %s", id, b.Version)
		}
		m[id] = name
	}
	return m, nil
}

// ParseSkip reads the DRIFT_SKIP variable: a comma-separated list of the
// Services whose checks are not run (the local stack has no Lambda, API
// Gateway or CloudFormation to ask). It returns the NotConfigured reasons,
// or an error naming an unknown service.
func ParseSkip(s string) (map[string]string, error) {
	m := map[string]string{}
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !slices.Contains(Services, name) {
			return nil, fmt.Errorf("DRIFT_SKIP: unknown service %q (known: %s)", name, strings.Join(Services, ", "))
		}
		m[name] = "not configured here (DRIFT_SKIP=" + strings.TrimSpace(s) + ")"
	}
	return m, nil
}
