package bizhours

import (
	"slices"
	"sort"
	"testing"
	"time"
)

// published are gov.uk's England and Wales bank holidays, 2019 to 2027.
var published = map[int][]string{
	2019: {"2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26", "2019-12-25", "2019-12-26"},
	2020: {"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"},
	2021: {"2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28"},
	2022: {"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"},
	2023: {"2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26"},
	2024: {"2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26"},
	2025: {"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26"},
	2026: {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"},
	2027: {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"},
}

func TestEnglandAndWalesMatchesPublished(t *testing.T) {
	for year, want := range published {
		t.Run(want[0][:4], func(t *testing.T) {
			var got []string
			for d := range EnglandAndWales(year) {
				got = append(got, d)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%d: got %v\nwant %v", year, got, want)
			}
		})
	}
}

// TestRulesDoNotRunOut: every year far ahead still has its eight holidays,
// and the default calendar skips them (2030's Christmas falls on a Wednesday).
func TestRulesDoNotRunOut(t *testing.T) {
	for y := 2028; y <= 2100; y++ {
		if n := len(EnglandAndWales(y)); n != 8 {
			t.Errorf("%d has %d holidays, want 8", y, n)
		}
	}
	c := Default()
	for _, d := range []string{"2030-12-25", "2030-12-26", "2031-04-11", "2099-01-01"} {
		day, _ := time.ParseInLocation("2006-01-02 15:04", d+" 10:00", london)
		if c.IsOpen(day) {
			t.Errorf("the default calendar is open on %s", d)
		}
	}
	if !c.IsOpen(lt(2030, 12, 27, 10, 0)) {
		t.Error("the default calendar is closed on 2030-12-27, a Friday")
	}
}

func TestWithHolidaysAndStale(t *testing.T) {
	now := time.Date(2028, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		list      string
		rule      bool
		n         int
		stale     bool
		closedDay string
	}{
		{"", true, 0, false, "2028-12-25"},
		{"none", false, 0, false, ""},
		{"2026-12-25,2027-12-27", false, 2, true, "2027-12-27"},
		{"2029-01-01", false, 1, false, "2029-01-01"},
	}
	for _, tc := range cases {
		t.Run(tc.list, func(t *testing.T) {
			c, err := Default().WithHolidays(tc.list)
			if err != nil {
				t.Fatal(err)
			}
			if (c.Rule != nil) != tc.rule || len(c.Holidays) != tc.n || c.StaleHolidays(now) != tc.stale {
				t.Errorf("rule %v, %d holidays, stale %v", c.Rule != nil, len(c.Holidays), c.StaleHolidays(now))
			}
			if tc.closedDay != "" {
				d, _ := time.ParseInLocation("2006-01-02 15:04", tc.closedDay+" 10:00", london)
				if c.IsOpen(d) {
					t.Errorf("open on %s", tc.closedDay)
				}
			}
		})
	}
	if _, err := Default().WithHolidays("2026-13-01"); err == nil {
		t.Error("accepted a bad date")
	}
}
