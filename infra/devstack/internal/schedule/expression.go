// Package schedule runs EventBridge schedule rules locally: it parses the
// rate(...) expressions the template uses, computes when each fires,
// and builds the payload the target receives: the rule's Input (EventBridge
// then sends that constant instead of the event), which every schedule in
// the template has; a rule without one is refused.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expression is a parsed rate(...) schedule expression.
type Expression struct {
	text  string
	every time.Duration
}

// String returns the expression as written.
func (e *Expression) String() string { return e.text }

// Parse reads "rate(N unit)" (unit minute(s), hour(s), day(s); singular for
// 1 as EventBridge requires). cron(...) is refused with a clear message:
// the template schedules with rate() only, and the local stack emulates
// what the template uses. It returns an error naming what is wrong.
func Parse(expr string) (*Expression, error) {
	s := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		d, err := parseRate(s[len("rate(") : len(s)-1])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", expr, err)
		}
		return &Expression{text: s, every: d}, nil
	case strings.HasPrefix(s, "cron("):
		return nil, fmt.Errorf("schedule %q: cron() is not emulated locally (the template uses rate() only); use rate(...) or deploy to run it", expr)
	}
	return nil, fmt.Errorf("schedule %q: want rate(...)", expr)
}

func parseRate(body string) (time.Duration, error) {
	fields := strings.Fields(body)
	if len(fields) != 2 {
		return 0, errors.New("rate takes a value and a unit, e.g. rate(1 hour)")
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("rate value %q must be a positive whole number", fields[0])
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit, plural := strings.CutSuffix(fields[1], "s")
	if _, ok := units[unit]; !ok || plural != (n > 1) {
		return 0, fmt.Errorf("rate unit %q: use minute, hour or day with a value of 1, minutes, hours or days above", fields[1])
	}
	return time.Duration(n) * units[unit], nil
}

// Next returns the first firing time strictly after t: rate schedules fire
// every period counted from t.
func (e *Expression) Next(t time.Time) time.Time { return t.Add(e.every) }
