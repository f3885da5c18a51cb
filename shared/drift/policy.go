package drift

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/levqor/serverless/shared/tiers"
)

// Code is the policy the code applies: the tier table and the commercial
// values. PolicyChecks takes it as a value so tests can feed a drifted copy;
// CodePolicy returns the real one.
type Code struct {
	Tiers  []tiers.Config
	Policy tiers.Policy
}

// CodePolicy returns the values the running code uses (shared/tiers).
func CodePolicy() Code { return Code{Tiers: tiers.All(), Policy: tiers.Current()} }

// PolicyChecks compares the code's policy values with the baseline: pricing,
// done-for-you packages, trial, refund window, uptime SLA, support SLA
// hours, priorities, and which tiers get AI routing and human escalation.
// It never fails to run: the values are in the binary.
func PolicyChecks(b Baseline, code Code) []Check {
	var wantPrice, wantHours, wantPrio, wantRouting []string
	for _, s := range b.Support {
		wantPrice = append(wantPrice, s.Tier+" £"+strconv.Itoa(b.PricingGBP[s.Tier]))
		wantHours = append(wantHours, s.Tier+" "+strconv.Itoa(s.SLAHours)+"h")
		wantPrio = append(wantPrio, s.Tier+" "+s.Priority)
		wantRouting = append(wantRouting, routing(s.Tier, s.AIRouting, s.HumanEscalation))
	}
	var gotPrice, gotHours, gotPrio, gotRouting []string
	for _, c := range code.Tiers {
		gotPrice = append(gotPrice, string(c.Tier)+" £"+strconv.Itoa(c.PriceGBP))
		gotHours = append(gotHours, string(c.Tier)+" "+strconv.Itoa(c.SLAHours)+"h")
		gotPrio = append(gotPrio, string(c.Tier)+" "+string(c.Priority))
		gotRouting = append(gotRouting, routing(string(c.Tier), c.AIRouting, c.HumanEscalation))
	}
	if len(b.PricingGBP) != len(b.Support) {
		// A tier priced but without a support row (or the reverse) is a
		// broken baseline; show it rather than compare half of it.
		wantPrice = append(wantPrice, fmt.Sprintf("(%d prices for %d tiers)", len(b.PricingGBP), len(b.Support)))
	}
	p := code.Policy
	return []Check{
		Compare("policy.pricing", CategoryPolicy, strings.Join(wantPrice, ", "), strings.Join(gotPrice, ", ")),
		Compare("policy.dfy", CategoryPolicy, gbpList(b.DFYPackagesGBP), gbpList(p.DFYPackagesGBP)),
		Compare("policy.trial", CategoryPolicy, days(b.TrialDays), days(p.TrialDays)),
		Compare("policy.refund", CategoryPolicy, days(b.RefundWindowDays), days(p.RefundWindowDays)),
		Compare("policy.uptime_sla", CategoryPolicy, percent(b.UptimeSLAPercent), percent(p.UptimeSLAPercent)),
		Compare("policy.support_sla_hours", CategoryPolicy, strings.Join(wantHours, ", "), strings.Join(gotHours, ", ")),
		Compare("policy.priorities", CategoryPolicy, strings.Join(wantPrio, ", "), strings.Join(gotPrio, ", ")),
		Compare("policy.routing", CategoryPolicy, strings.Join(wantRouting, ", "), strings.Join(gotRouting, ", ")),
	}
}

// routing is one tier's AI routing and human escalation, as the checks show it.
func routing(tier string, ai, human bool) string {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	return tier + " AI " + yes(ai) + " human " + yes(human)
}

func gbpList(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = "£" + strconv.Itoa(n)
	}
	return strings.Join(s, "/")
}

func days(n int) string { return strconv.Itoa(n) + " days" }

func percent(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "%" }
