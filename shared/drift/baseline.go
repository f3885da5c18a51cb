// Package drift proves a deployment still matches the blueprint baseline: the
// policy values the code applies, the tickets table, the keepalive rule, the
// functions, the API routes, the live health endpoint and CloudFormation's own
// stack drift. It holds the one versioned baseline, the check and report
// types shared by the live scan (functions/driftscan) and the static scan of a
// checkout (infra/driftcheck), report storage and the DriftDetected alert.
package drift

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

//go:embed baseline/v12.12.json
var embedded []byte

// Baseline is the blueprint the deployment must match. It is one versioned
// document in the repository (baseline/<version>.json), embedded in every
// binary so that a running function compares against the baseline it was
// built with.
type Baseline struct {
	Version          string         `json:"version"`
	PricingGBP       map[string]int `json:"pricing_gbp"`
	DFYPackagesGBP   []int          `json:"dfy_packages_gbp"`
	TrialDays        int            `json:"trial_days"`
	RefundWindowDays int            `json:"refund_window_days"`
	UptimeSLAPercent float64        `json:"uptime_sla_percent"`
	Support          []Support      `json:"support"`
	Functions        []Function     `json:"functions"`
	Routes           []string       `json:"routes"`
	Keepalive        Keepalive      `json:"keepalive"`
	Table            Table          `json:"table"`
}

// Support is one tier's support promise.
type Support struct {
	Tier            string `json:"tier"`
	SLAHours        int    `json:"sla_hours"`
	Priority        string `json:"priority"`
	AIRouting       bool   `json:"ai_routing"`
	HumanEscalation bool   `json:"human_escalation"`
}

// Function is a Lambda function that must exist: its template logical id,
// its folder under functions/, and its runtime and architecture.
type Function struct {
	LogicalID    string `json:"logical_id"`
	Dir          string `json:"dir"`
	Runtime      string `json:"runtime"`
	Architecture string `json:"architecture"`
}

// Keepalive is the schedule that must drive the keepalive function.
type Keepalive struct {
	Function string `json:"function"`
	Schedule string `json:"schedule"`
}

// Table is the tickets table's required shape.
type Table struct {
	LogicalID           string    `json:"logical_id"`
	KeySchema           []KeyAttr `json:"key_schema"`
	PointInTimeRecovery bool      `json:"point_in_time_recovery"`
	TTLAttribute        string    `json:"ttl_attribute"`
}

// PITRStatus is the point-in-time recovery status the table must report
// (DynamoDB's ENABLED or DISABLED).
func (t Table) PITRStatus() string {
	if t.PointInTimeRecovery {
		return "ENABLED"
	}
	return "DISABLED"
}

// TTLStatus is the TTL state the table must report: "ENABLED <attribute>".
func (t Table) TTLStatus() string { return "ENABLED " + t.TTLAttribute }

// KeyAttr is one key attribute: its name, role (HASH or RANGE) and scalar
// type (S, N or B).
type KeyAttr struct {
	Name    string `json:"name"`
	KeyType string `json:"key_type"`
	Type    string `json:"type"`
}

// String renders k as "pk HASH S", the form checks compare and report.
func (k KeyAttr) String() string { return k.Name + " " + k.KeyType + " " + k.Type }

// KeySchemaString renders a key schema as "pk HASH S, sk RANGE S", HASH
// first, so that two schemas compare as strings whatever order they came in.
func KeySchemaString(keys []KeyAttr) string {
	ks := slices.Clone(keys)
	slices.SortStableFunc(ks, func(a, b KeyAttr) int { return strings.Compare(a.KeyType, b.KeyType) })
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}

// Function returns the baseline function with logical id id.
func (b Baseline) Function(id string) (Function, bool) {
	for _, f := range b.Functions {
		if f.LogicalID == id {
			return f, true
		}
	}
	return Function{}, false
}

// ParseBaseline decodes and validates a baseline document. It returns an
// error for malformed JSON, unknown or duplicate fields, trailing data and a
// document missing any required value: a baseline that silently lacks a
// value would let drift through unchecked.
func ParseBaseline(data []byte) (Baseline, error) {
	var b Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Baseline{}, fmt.Errorf("drift: baseline: %w", err)
	}
	if dec.More() {
		return Baseline{}, errors.New("drift: baseline: trailing data after the document")
	}
	if err := b.validate(); err != nil {
		return Baseline{}, fmt.Errorf("drift: baseline %s: %w", b.Version, err)
	}
	return b, nil
}

func (b Baseline) validate() error {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	need(b.Version != "", "version")
	need(len(b.PricingGBP) > 0, "pricing_gbp")
	need(len(b.DFYPackagesGBP) > 0, "dfy_packages_gbp")
	need(b.TrialDays > 0, "trial_days")
	need(b.RefundWindowDays > 0, "refund_window_days")
	need(b.UptimeSLAPercent > 0, "uptime_sla_percent")
	need(len(b.Support) > 0, "support")
	need(len(b.Functions) > 0, "functions")
	need(len(b.Routes) > 0, "routes")
	need(b.Keepalive.Function != "" && b.Keepalive.Schedule != "", "keepalive")
	need(b.Table.LogicalID != "" && len(b.Table.KeySchema) > 0 && b.Table.TTLAttribute != "", "table")
	for _, f := range b.Functions {
		need(f.LogicalID != "" && f.Dir != "" && f.Runtime != "" && f.Architecture != "", "functions[].logical_id/dir/runtime/architecture")
	}
	if _, ok := b.Function(b.Keepalive.Function); b.Keepalive.Function != "" && !ok {
		missing = append(missing, "keepalive.function among functions")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// Current returns the embedded baseline (v12.12). It returns an error only
// when the embedded document is broken, which the package's tests rule out.
func Current() (Baseline, error) { return ParseBaseline(embedded) }
