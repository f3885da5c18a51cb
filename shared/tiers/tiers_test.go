package tiers

import (
	"slices"
	"strings"
	"testing"
)

// TestTable pins the SPEC's tier table.
func TestTable(t *testing.T) {
	cases := []struct {
		tier     Tier
		price    int
		sla      int
		priority Priority
		ai, hum  bool
		rank     int
	}{
		{Starter, 9, 48, Low, false, false, 0},
		{Launch, 29, 24, Normal, false, true, 1},
		{Growth, 59, 12, High, true, true, 2},
		{Agency, 149, 4, Urgent, true, true, 3},
	}
	for _, tc := range cases {
		t.Run(string(tc.tier), func(t *testing.T) {
			c, ok := Get(tc.tier)
			if !ok {
				t.Fatal("unknown")
			}
			want := Config{tc.tier, tc.price, tc.sla, tc.priority, tc.ai, tc.hum}
			if c != want {
				t.Errorf("Get = %+v, want %+v", c, want)
			}
			if tc.tier.Rank() != tc.rank {
				t.Errorf("Rank = %d, want %d", tc.tier.Rank(), tc.rank)
			}
			p, err := Parse(string(tc.tier))
			if err != nil || p != tc.tier {
				t.Errorf("Parse = %q, %v", p, err)
			}
		})
	}
	if len(All()) != len(cases) {
		t.Errorf("All has %d tiers", len(All()))
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "Growth", "GROWTH", " growth", "growth ", "enterprise", "starter\x00"} {
		t.Run(s, func(t *testing.T) {
			_, err := Parse(s)
			if err == nil {
				t.Fatalf("Parse(%q) accepted", s)
			}
			if !strings.Contains(err.Error(), "starter, launch, growth, agency") {
				t.Errorf("error does not name the tiers: %v", err)
			}
		})
	}
	if _, ok := Get("enterprise"); ok || Tier("enterprise").Rank() != -1 {
		t.Error("unknown tier found")
	}
}

func TestDefault(t *testing.T) {
	if Default != Starter {
		t.Errorf("Default = %s", Default)
	}
}

func TestAllIsACopy(t *testing.T) {
	a := All()
	a[0].PriceGBP = 0
	if c, _ := Get(Starter); c.PriceGBP != 9 {
		t.Error("All exposes the table")
	}
	if !slices.Equal(Names(), []string{"starter", "launch", "growth", "agency"}) {
		t.Errorf("Names = %v", Names())
	}
}

func TestPolicy(t *testing.T) {
	p := Current()
	if !slices.Equal(p.DFYPackagesGBP, []int{149, 299, 499}) || p.TrialDays != 7 || p.RefundWindowDays != 30 || p.UptimeSLAPercent != 99.9 {
		t.Errorf("policy %+v", p)
	}
	p.DFYPackagesGBP[0] = 1
	if Current().DFYPackagesGBP[0] != 149 {
		t.Error("Current shares its slice")
	}
}
