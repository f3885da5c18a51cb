package drift

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is one check's outcome.
type Status string

// The outcomes. Skip means "not verified" (service not configured, not
// reachable, throttled, timed out): it never counts as a pass.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// The report statuses.
const (
	InSync  = "in_sync"
	Drifted = "drifted"
	Error   = "error"
)

// The check categories.
const (
	CategoryPolicy    = "policy"
	CategoryTable     = "table"
	CategoryKeepalive = "keepalive"
	CategoryFunctions = "functions"
	CategoryRoutes    = "routes"
	CategoryHealth    = "health"
	CategoryStack     = "stack"
	CategoryRepo      = "repository"
)

// Check is one comparison of the deployment (or checkout) with the baseline.
type Check struct {
	Name      string          `json:"name"`
	Category  string          `json:"category"`
	Status    Status          `json:"status"`
	Expected  string          `json:"expected,omitempty"`
	Actual    string          `json:"actual,omitempty"`
	Detail    string          `json:"detail,omitempty"`
	Resources []ResourceDrift `json:"resources,omitempty"`
}

// ResourceDrift is one stack resource CloudFormation found drifted.
type ResourceDrift struct {
	LogicalID   string               `json:"logical_id"`
	Type        string               `json:"type"`
	Status      string               `json:"status"`
	Differences []PropertyDifference `json:"differences,omitempty"`
}

// PropertyDifference is one property whose live value differs from the
// template's.
type PropertyDifference struct {
	Path     string `json:"path"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Type     string `json:"type"`
}

// Summary counts checks by outcome.
type Summary struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Report is the SPEC's drift report.
type Report struct {
	Status    string  `json:"status"`
	Baseline  string  `json:"baseline"`
	ScannedAt string  `json:"scanned_at"`
	Summary   Summary `json:"summary"`
	Checks    []Check `json:"checks"`
	// Error says why the scan could not run (status error only).
	Error string `json:"error,omitempty"`
}

// NewReport builds the report for checks, sorted by name so that two scans
// of the same state read the same. Status is drifted when any check failed,
// in_sync otherwise, and error when there are no checks at all (a scan that
// verified nothing must not read as in sync).
func NewReport(baseline string, at time.Time, checks []Check) Report {
	cs := slices.Clone(checks)
	slices.SortStableFunc(cs, func(a, b Check) int { return strings.Compare(a.Name, b.Name) })
	r := Report{Baseline: baseline, ScannedAt: at.UTC().Format(time.RFC3339), Checks: cs}
	for _, c := range cs {
		switch c.Status {
		case Pass:
			r.Summary.Pass++
		case Fail:
			r.Summary.Fail++
		default:
			r.Summary.Skip++
		}
	}
	switch {
	case len(cs) == 0:
		r.Status, r.Error = Error, "no checks ran"
	case r.Summary.Fail > 0:
		r.Status = Drifted
	default:
		r.Status = InSync
	}
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	return r
}

// ErrorReport is the report of a scan that could not run, with why.
func ErrorReport(baseline string, at time.Time, err error) Report {
	return Report{Status: Error, Baseline: baseline, ScannedAt: at.UTC().Format(time.RFC3339),
		Checks: []Check{}, Error: err.Error()}
}

// Failed returns the names of the failed checks.
func (r Report) Failed() []string {
	var names []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			names = append(names, c.Name)
		}
	}
	return names
}

// ExitCode is the driftctl-style process status for r: 0 in sync, 1 drift,
// 2 the scan could not run.
func (r Report) ExitCode() int {
	switch r.Status {
	case InSync:
		return 0
	case Drifted:
		return 1
	default:
		return 2
	}
}

// Text renders r for a terminal: one line per check, then the summary.
func (r Report) Text() string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s  %s", c.Status, c.Name)
		if c.Status != Pass {
			b.WriteString(strings.Repeat(" ", max(1, 28-len(c.Name))))
			if c.Expected != "" || c.Actual != "" {
				fmt.Fprintf(&b, "  expected %q, actual %q", c.Expected, c.Actual)
			}
			if c.Detail != "" {
				fmt.Fprintf(&b, "  (%s)", c.Detail)
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s against %s: %d pass, %d fail, %d skip", r.Status, r.Baseline, r.Summary.Pass, r.Summary.Fail, r.Summary.Skip)
	if r.Error != "" {
		fmt.Fprintf(&b, ": %s", r.Error)
	}
	b.WriteByte('\n')
	return b.String()
}

// Compare returns a check that passes when actual equals expected.
func Compare(name, category, expected, actual string) Check {
	c := Check{Name: name, Category: category, Status: Pass, Expected: expected, Actual: actual}
	if expected != actual {
		c.Status = Fail
	}
	return c
}

// CompareSet returns a check that passes when actual holds exactly the
// members of expected; the detail lists what is missing and what is extra.
// Duplicates count once: a set is compared, not a list.
func CompareSet(name, category string, expected, actual []string) Check {
	want, got := sortedSet(expected), sortedSet(actual)
	c := Check{Name: name, Category: category, Status: Pass,
		Expected: strings.Join(want, ", "), Actual: strings.Join(got, ", ")}
	var missing, extra []string
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok {
			extra = append(extra, g)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "extra: "+strings.Join(extra, ", "))
	}
	if len(parts) > 0 {
		c.Status, c.Detail = Fail, strings.Join(parts, "; ")
	}
	return c
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Skipped returns a skip check for name with the reason it was not verified.
func Skipped(name, category, reason string) Check {
	return Check{Name: name, Category: category, Status: Skip, Detail: reason}
}
