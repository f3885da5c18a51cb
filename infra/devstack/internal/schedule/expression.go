// Package schedule runs EventBridge schedule rules locally: it parses
// schedule expressions (rate(...) and cron(...)), computes when each fires,
// and builds the payload the target receives — the rule's Input when it has
// one (EventBridge then sends that constant instead of the event), else the
// "Scheduled Event" envelope.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expression is a parsed schedule expression.
type Expression struct {
	text  string
	every time.Duration // rate(...)
	cron  *cronSpec     // cron(...)
}

// String returns the expression as written.
func (e *Expression) String() string { return e.text }

// Parse reads "rate(N unit)" (unit minute(s), hour(s), day(s); singular for 1
// as EventBridge requires) or "cron(min hour day-of-month month day-of-week
// year)" with *, ?, lists, ranges, steps and month/day names (not L, W or #).
// Times are UTC. It returns an error naming what is wrong.
func Parse(expr string) (*Expression, error) {
	s := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		d, err := parseRate(s[len("rate(") : len(s)-1])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", expr, err)
		}
		return &Expression{text: s, every: d}, nil
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		c, err := parseCron(s[len("cron(") : len(s)-1])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", expr, err)
		}
		return &Expression{text: s, cron: c}, nil
	}
	return nil, fmt.Errorf("schedule %q: want rate(...) or cron(...)", expr)
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
	unit := fields[1]
	if n == 1 {
		if _, ok := units[unit]; !ok {
			return 0, fmt.Errorf("rate unit %q: with a value of 1 use minute, hour or day", unit)
		}
	} else {
		singular, ok := strings.CutSuffix(unit, "s")
		if _, known := units[singular]; !ok || !known {
			return 0, fmt.Errorf("rate unit %q: with a value above 1 use minutes, hours or days", unit)
		}
		unit = singular
	}
	return time.Duration(n) * units[unit], nil
}

// Next returns the first firing time strictly after t (rate schedules fire
// every period counted from t; cron schedules at matching UTC minutes). The
// zero time means a cron expression never fires again (within 5 years).
func (e *Expression) Next(t time.Time) time.Time {
	if e.every > 0 {
		return t.Add(e.every)
	}
	return e.cron.next(t.UTC())
}

// cronSpec holds the allowed values of each field.
type cronSpec struct {
	minutes, hours, doms, months, dows map[int]bool
	years                              map[int]bool // nil: any year
	anyDOM, anyDOW                     bool
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron takes 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cronSpec{anyDOM: f[2] == "?", anyDOW: f[4] == "?"}
	if c.anyDOM == c.anyDOW {
		return nil, errors.New("exactly one of day-of-month and day-of-week must be ?")
	}
	var err error
	fields := []struct {
		name     string
		text     string
		lo, hi   int
		names    map[string]int
		dst      *map[int]bool
		optional bool
	}{
		{"minutes", f[0], 0, 59, nil, &c.minutes, false},
		{"hours", f[1], 0, 23, nil, &c.hours, false},
		{"day-of-month", f[2], 1, 31, nil, &c.doms, true},
		{"month", f[3], 1, 12, monthNames, &c.months, false},
		{"day-of-week", f[4], 1, 7, dayNames, &c.dows, true},
		{"year", f[5], 1970, 2199, nil, &c.years, false},
	}
	for _, fd := range fields {
		if fd.optional && fd.text == "?" {
			continue
		}
		if *fd.dst, err = parseField(fd.text, fd.lo, fd.hi, fd.names); err != nil {
			return nil, fmt.Errorf("cron %s field %q: %w", fd.name, fd.text, err)
		}
	}
	if f[5] == "*" {
		c.years = nil
	}
	return c, nil
}

// parseField reads a comma list of *, N, A-B, */S, N/S and A-B/S.
func parseField(text string, lo, hi int, names map[string]int) (map[int]bool, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(text, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			s, err := strconv.Atoi(stepText)
			if err != nil || s < 1 || s > hi {
				return nil, fmt.Errorf("step %q must be a whole number from 1 to %d", stepText, hi)
			}
			step = s
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = value(a, lo, hi, names); err != nil {
				return nil, err
			}
			if to, err = value(b, lo, hi, names); err != nil {
				return nil, err
			}
			if from > to {
				return nil, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			v, err := value(rng, lo, hi, names)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

func value(text string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(text)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("value %q must be from %d to %d (L, W and # are not supported locally)", text, lo, hi)
	}
	return v, nil
}

// next finds the first matching minute after t, day by day.
func (c *cronSpec) next(t time.Time) time.Time {
	start := t.Truncate(time.Minute).Add(time.Minute)
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5*366; i++ {
		d := day.AddDate(0, 0, i)
		if !c.dayMatches(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours[h] {
				continue
			}
			for m := 0; m < 60; m++ {
				if !c.minutes[m] {
					continue
				}
				at := d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if !at.Before(start) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

func (c *cronSpec) dayMatches(d time.Time) bool {
	if c.years != nil && !c.years[d.Year()] {
		return false
	}
	if !c.months[int(d.Month())] {
		return false
	}
	if c.anyDOM {
		return c.dows[int(d.Weekday())+1] // cron weekdays run SUN=1..SAT=7
	}
	return c.doms[d.Day()]
}
