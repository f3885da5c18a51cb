// Package tiers holds the support tiers and the policy values of the Levqor
// blueprint (V12.12). These values are the baseline the drift scan guards:
// change them only together with the baseline.
package tiers

import (
	"fmt"
	"strings"
)

// Tier names a support plan.
type Tier string

// The four tiers, lowest first.
const (
	Starter Tier = "starter"
	Launch  Tier = "launch"
	Growth  Tier = "growth"
	Agency  Tier = "agency"
)

// Default is the tier assumed when a request names none.
const Default = Starter

// Priority is the queue priority a tier's tickets get.
type Priority string

// The priorities, lowest first.
const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

// Config is one tier's support configuration: the seed's get_support_config(tier).
type Config struct {
	Tier            Tier     `json:"tier"`
	PriceGBP        int      `json:"price_gbp_per_month"`
	SLAHours        int      `json:"sla_hours"`
	Priority        Priority `json:"priority"`
	AIRouting       bool     `json:"ai_routing"`
	HumanEscalation bool     `json:"human_escalation"`
}

var configs = [...]Config{
	{Starter, 9, 48, Low, false, false},
	{Launch, 29, 24, Normal, false, true},
	{Growth, 59, 12, High, true, true},
	{Agency, 149, 4, Urgent, true, true},
}

// All returns every tier's configuration, lowest tier first.
func All() []Config { return append([]Config(nil), configs[:]...) }

// Parse returns the tier named s (exact, lower case). It returns an error
// naming the allowed values when s is not one of them.
func Parse(s string) (Tier, error) {
	for _, c := range configs {
		if string(c.Tier) == s {
			return c.Tier, nil
		}
	}
	return "", fmt.Errorf("tier must be one of %s", strings.Join(Names(), ", "))
}

// Names returns the tier names, lowest first.
func Names() []string {
	n := make([]string, len(configs))
	for i, c := range configs {
		n[i] = string(c.Tier)
	}
	return n
}

// Get returns t's configuration; ok is false for an unknown tier.
func Get(t Tier) (c Config, ok bool) {
	if i := t.Rank(); i >= 0 {
		return configs[i], true
	}
	return Config{}, false
}

// Rank orders tiers: 0 for starter up to 3 for agency, -1 when unknown.
func (t Tier) Rank() int {
	for i, c := range configs {
		if c.Tier == t {
			return i
		}
	}
	return -1
}

// Policy holds the blueprint's commercial values besides the tier table.
type Policy struct {
	DFYPackagesGBP   []int   `json:"dfy_packages_gbp"`
	TrialDays        int     `json:"trial_days"`
	RefundWindowDays int     `json:"refund_window_days"`
	UptimeSLAPercent float64 `json:"uptime_sla_percent"`
}

// Current returns the policy the running code applies.
func Current() Policy {
	return Policy{
		DFYPackagesGBP:   []int{149, 299, 499},
		TrialDays:        7,
		RefundWindowDays: 30,
		UptimeSLAPercent: 99.9,
	}
}
