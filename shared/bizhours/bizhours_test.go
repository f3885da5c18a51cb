package bizhours

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/tiers"
)

var london = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// lt is a London wall-clock time.
func lt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, london)
}

// utc is a UTC instant.
func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestAdd(t *testing.T) {
	cal := Default()
	tests := []struct {
		name  string
		start time.Time
		hours int
		want  time.Time
	}{
		{"within one day", lt(2026, 11, 24, 10, 0), 4, utc(2026, 11, 24, 14, 0)},
		{"friday afternoon rolls to monday", lt(2026, 11, 20, 15, 0), 4, utc(2026, 11, 23, 11, 0)},
		{"friday afternoon 12h rolls to tuesday", lt(2026, 11, 20, 15, 0), 12, utc(2026, 11, 24, 11, 0)},
		{"saturday counts from monday opening", lt(2026, 11, 21, 10, 0), 4, utc(2026, 11, 23, 13, 0)},
		{"sunday 12h", lt(2026, 11, 22, 23, 0), 12, utc(2026, 11, 24, 13, 0)},
		{"before opening", lt(2026, 11, 24, 7, 0), 4, utc(2026, 11, 24, 13, 0)},
		{"just after midnight", lt(2026, 11, 24, 0, 1), 1, utc(2026, 11, 24, 10, 0)},
		{"after closing", lt(2026, 11, 24, 18, 0), 4, utc(2026, 11, 25, 13, 0)},
		{"late evening", lt(2026, 11, 24, 23, 59), 1, utc(2026, 11, 25, 10, 0)},
		{"christmas: 25th and 28th are holidays", lt(2026, 12, 24, 16, 0), 4, utc(2026, 12, 29, 12, 0)},
		{"new year 2027 holiday", lt(2026, 12, 31, 16, 30), 1, utc(2027, 1, 4, 9, 30)},
		{"easter 2026: good friday and easter monday", lt(2026, 4, 2, 16, 0), 4, utc(2026, 4, 7, 11, 0)},
		{"christmas 2027: both substitute days", lt(2027, 12, 24, 16, 0), 2, utc(2027, 12, 29, 10, 0)},
		{"easter 2027", lt(2027, 3, 25, 17, 0), 1, utc(2027, 3, 30, 9, 0)},
		{"summer bank holiday 2026 (BST)", lt(2026, 8, 28, 16, 0), 2, utc(2026, 9, 1, 9, 0)},
		// 29 March 2026: clocks go forward; Monday 09:00 BST is 08:00Z.
		{"spring DST: friday GMT to monday BST", lt(2026, 3, 27, 16, 0), 4, utc(2026, 3, 30, 11, 0)},
		{"spring DST: start on switch day before the change", utc(2026, 3, 29, 0, 30), 1, utc(2026, 3, 30, 9, 0)},
		{"spring DST: start on switch day after the change", utc(2026, 3, 29, 12, 0), 8, utc(2026, 3, 30, 16, 0)},
		// 25 October 2026: clocks go back; Monday 09:00 GMT is 09:00Z.
		{"autumn DST: friday BST to monday GMT", lt(2026, 10, 23, 16, 0), 4, utc(2026, 10, 26, 12, 0)},
		{"autumn DST: start in the repeated hour", utc(2026, 10, 25, 0, 30), 1, utc(2026, 10, 26, 10, 0)},
		{"autumn DST: start on switch day after the change", utc(2026, 10, 25, 12, 0), 8, utc(2026, 10, 26, 17, 0)},
		{"exact opening", lt(2026, 11, 24, 9, 0), 8, utc(2026, 11, 24, 17, 0)},
		{"ends exactly at closing", lt(2026, 11, 24, 16, 0), 1, utc(2026, 11, 24, 17, 0)},
		{"exact closing counts from next opening", lt(2026, 11, 24, 17, 0), 1, utc(2026, 11, 25, 10, 0)},
		{"one second before closing", lt(2026, 11, 24, 16, 59).Add(59 * time.Second), 1, utc(2026, 11, 25, 9, 59).Add(59 * time.Second)},
		{"zero hours is the start itself", lt(2026, 11, 21, 10, 0), 0, utc(2026, 11, 21, 10, 0)},
		{"negative hours is the start itself", lt(2026, 11, 21, 10, 0), -3, utc(2026, 11, 21, 10, 0)},
		{"start given in another zone", time.Date(2026, 11, 24, 5, 0, 0, 0, mustLoad("America/New_York")), 2, utc(2026, 11, 24, 12, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cal.Add(tc.start, tc.hours)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("Add(%s, %d) = %s, want %s", tc.start.Format(time.RFC3339), tc.hours, got.Format(time.RFC3339), tc.want.Format(time.RFC3339))
			}
		})
	}
}

// TestAddTiers counts each tier's SLA from Monday 23 November 2026 10:00 GMT.
func TestAddTiers(t *testing.T) {
	want := map[tiers.Tier]time.Time{
		tiers.Agency:  utc(2026, 11, 23, 14, 0), // 4h: same day
		tiers.Growth:  utc(2026, 11, 24, 14, 0), // 12h: 7 Monday + 5 Tuesday
		tiers.Launch:  utc(2026, 11, 26, 10, 0), // 24h: 7 + 8 + 8 + 1 Thursday
		tiers.Starter: utc(2026, 12, 1, 10, 0),  // 48h: 7 + 4x8 + 8 next Monday + 1 Tuesday
	}
	start := lt(2026, 11, 23, 10, 0)
	cal := Default()
	for _, c := range tiers.All() {
		t.Run(string(c.Tier), func(t *testing.T) {
			w, ok := want[c.Tier]
			if !ok {
				t.Fatalf("no expectation for tier %s", c.Tier)
			}
			if got := cal.Add(start, c.SLAHours); !got.Equal(w) {
				t.Errorf("%s (%dh) = %s, want %s", c.Tier, c.SLAHours, got.Format(time.RFC3339), w.Format(time.RFC3339))
			}
		})
	}
}

// TestAddOtherCalendars covers configured calendars: a Sunday-Thursday week
// in Dubai and a round-the-clock desk across a clock change, where business
// time is elapsed time (29 March 2026 has 23 hours).
func TestAddOtherCalendars(t *testing.T) {
	tests := []struct {
		spec, holidays string
		start          time.Time
		hours          int
		want           time.Time
	}{
		{"Sun-Thu 08:30-16:30 Asia/Dubai", "none", utc(2026, 11, 26, 11, 0), 2, utc(2026, 11, 29, 5, 0)},
		{"Mon-Sun 00:00-24:00 Europe/London", "none", lt(2026, 3, 28, 12, 0), 24, utc(2026, 3, 29, 12, 0)},
		{"Mon-Sun 00:00-24:00 Europe/London", "none", lt(2026, 10, 24, 12, 0), 24, utc(2026, 10, 25, 11, 0)},
		{"Fri-Mon 10:00-12:00 UTC", "2026-11-27", utc(2026, 11, 26, 9, 0), 3, utc(2026, 11, 29, 11, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.spec+" "+tc.start.Format(time.RFC3339), func(t *testing.T) {
			cal, err := Parse(tc.spec, tc.holidays)
			if err != nil {
				t.Fatal(err)
			}
			if got := cal.Add(tc.start, tc.hours); !got.Equal(tc.want) {
				t.Errorf("Add = %s, want %s", got.Format(time.RFC3339), tc.want.Format(time.RFC3339))
			}
		})
	}
}

func TestIsOpen(t *testing.T) {
	cal := Default()
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"opening instant", lt(2026, 11, 24, 9, 0), true},
		{"one second before opening", lt(2026, 11, 24, 8, 59).Add(59 * time.Second), false},
		{"one second before closing", lt(2026, 11, 24, 16, 59).Add(59 * time.Second), true},
		{"closing instant", lt(2026, 11, 24, 17, 0), false},
		{"saturday", lt(2026, 11, 21, 12, 0), false},
		{"holiday", lt(2026, 12, 28, 12, 0), false},
		{"BST 09:00 is 08:00Z", utc(2026, 3, 30, 8, 0), true},
		{"BST 08:59Z is open", utc(2026, 3, 30, 8, 59), true},
		{"GMT 08:00Z is closed", utc(2026, 10, 26, 8, 0), false},
		{"GMT 09:00Z is open", utc(2026, 10, 26, 9, 0), true},
		{"invalid calendar never open", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cal
			if tc.at.IsZero() {
				c = Calendar{}
				tc.at = lt(2026, 11, 24, 12, 0)
			}
			if got := c.IsOpen(tc.at); got != tc.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tc.at.Format(time.RFC3339), got, tc.want)
			}
		})
	}
}

func TestInvalidCalendar(t *testing.T) {
	start := lt(2026, 11, 24, 12, 0)
	tests := []struct {
		name string
		cal  Calendar
	}{
		{"zero value", Calendar{}},
		{"no weekday", Calendar{Location: time.UTC, Open: 9 * time.Hour, Close: 17 * time.Hour}},
		{"close before open", func() Calendar { c := Default(); c.Close = c.Open; return c }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cal.Validate() == nil {
				t.Error("Validate accepted an unusable calendar")
			}
			if got := tc.cal.Add(start, 4); !got.IsZero() {
				t.Errorf("Add = %s, want the zero time", got)
			}
		})
	}
	t.Run("hours above MaxHours", func(t *testing.T) {
		if got := Default().Add(start, MaxHours+1); !got.IsZero() {
			t.Errorf("Add = %s, want the zero time", got)
		}
		if got := Default().Add(start, MaxHours); got.IsZero() || got.Year() < 2070 {
			t.Errorf("Add(MaxHours) = %s", got)
		}
	})
	t.Run("holidays on every open day for weeks", func(t *testing.T) {
		c, err := Parse("Mon 09:00-17:00 UTC", "2026-11-30,2026-12-07")
		if err != nil {
			t.Fatal(err)
		}
		// Only finitely many holidays: the desk reopens on 14 December.
		if got := c.Add(utc(2026, 11, 25, 0, 0), 1); !got.Equal(utc(2026, 12, 14, 10, 0)) {
			t.Errorf("Add = %s", got)
		}
	})
}

// easter returns Easter Sunday (anonymous Gregorian algorithm).
func easter(y int) time.Time {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// TestEnglandAndWalesAgainstAnOracle derives the England and Wales bank
// holidays a second, independent way (Banking and Financial Dealings Act
// 1971 and the royal proclamations' pattern) for years without one-off
// changes, and compares them with EnglandAndWales.
func TestEnglandAndWalesAgainstAnOracle(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	firstMonday := func(y int, m time.Month) time.Time {
		t := d(y, m, 1)
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, 1)
		}
		return t
	}
	lastMonday := func(y int, m time.Month) time.Time {
		t := d(y, m+1, 0)
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, -1)
		}
		return t
	}
	weekday := func(t time.Time) time.Time {
		for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			t = t.AddDate(0, 0, 1)
		}
		return t
	}
	var want []string
	var got []string
	for y := 2024; y <= 2040; y++ {
		if _, changed := oneOffs[y]; changed {
			continue
		}
		var year []string
		for h := range EnglandAndWales(y) {
			year = append(year, h)
		}
		sort.Strings(year)
		got = append(got, year...)
		e := easter(y)
		xmas := weekday(d(y, 12, 25))
		boxing := weekday(d(y, 12, 26))
		if !boxing.After(xmas) {
			boxing = weekday(xmas.AddDate(0, 0, 1))
		}
		for _, h := range []time.Time{weekday(d(y, 1, 1)), e.AddDate(0, 0, -2), e.AddDate(0, 0, 1),
			firstMonday(y, 5), lastMonday(y, 5), lastMonday(y, 8), xmas, boxing} {
			want = append(want, h.Format(dateLayout))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("holidays by rule\n got %v\nwant %v", got, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec, holidays string
		wantErr        string // substring; "" means success
		wantString     string
	}{
		{"", "", "", "Mon,Tue,Wed,Thu,Fri 09:00-17:00 Europe/London (England and Wales bank holidays)"},
		{"Mon-Fri 09:00-17:00 Europe/London", "", "", "Mon,Tue,Wed,Thu,Fri 09:00-17:00 Europe/London (England and Wales bank holidays)"},
		{"  mon-fri   08:30-16:45  Europe/Paris ", "none", "", "Mon,Tue,Wed,Thu,Fri 08:30-16:45 Europe/Paris (0 holidays)"},
		{"Sat-Mon,Wed 00:00-24:00 UTC", "2026-01-01, 2026-12-25", "", "Mon,Wed,Sat,Sun 00:00-24:00 UTC (2 holidays)"},
		{"Mon 09:00-17:00", "", "want \"<days>", ""},
		{"Mon-Fri 09:00-17:00 Europe/London extra", "", "want \"<days>", ""},
		{"Mon-Fry 09:00-17:00 UTC", "", `unknown day "Fry"`, ""},
		{"Monday 09:00-17:00 UTC", "", `unknown day "Monday"`, ""},
		{"Mon- 09:00-17:00 UTC", "", `unknown day ""`, ""},
		{"Mon-Fri 9:00-17:00 UTC", "", `time "9:00"`, ""},
		{"Mon-Fri 09:00-25:00 UTC", "", `time "25:00"`, ""},
		{"Mon-Fri 09:60-17:00 UTC", "", `time "09:60"`, ""},
		{"Mon-Fri 24:30-17:00 UTC", "", `time "24:30"`, ""},
		{"Mon-Fri 0900-1700 UTC", "", `time "0900"`, ""},
		{"Mon-Fri 09:00 UTC", "", "want HH:MM-HH:MM", ""},
		{"Mon-Fri 17:00-09:00 UTC", "", "closing time must be after opening", ""},
		{"Mon-Fri 09:00-09:00 UTC", "", "closing time must be after opening", ""},
		{"Mon-Fri 09:00-17:00 Mars/Olympus", "", "not a known IANA time zone", ""},
		{"Mon-Fri 09:00-17:00 Local", "", "depends on the host", ""},
		{"Mon-Fri 09:00-17:00 UTC", "2026-02-30", `business holiday "2026-02-30"`, ""},
		{"Mon-Fri 09:00-17:00 UTC", "2026-1-5", `business holiday "2026-1-5"`, ""},
		{"Mon-Fri 09:00-17:00 UTC", "2026-01-01,", `business holiday ""`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.spec+"|"+tc.holidays, func(t *testing.T) {
			c, err := Parse(tc.spec, tc.holidays)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.String(); got != tc.wantString {
				t.Errorf("String() = %q, want %q", got, tc.wantString)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// TestDefaultIsFresh guards against a shared Holidays map: changing one
// calendar must not change the next.
func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Holidays["2026-11-24"] = true
	if Default().Holidays["2026-11-24"] {
		t.Error("Default shares its Holidays map between calls")
	}
}

// slowAdd is the reference: minute by minute, counting minutes that are open.
func slowAdd(c Calendar, start time.Time, hours int) time.Time {
	t, rem := start, hours*60
	for rem > 0 {
		if c.IsOpen(t) {
			rem--
		}
		t = t.Add(time.Minute)
	}
	return t.UTC()
}

// TestAddProperties checks random starts across 2026-2027 on several
// calendars: the result matches the minute-by-minute reference, lies within
// business hours (a deadline may end exactly at closing), and grows with hours.
func TestAddProperties(t *testing.T) {
	specs := []string{"", "Sun-Thu 08:30-16:30 Asia/Dubai", "Mon-Sun 00:00-24:00 Europe/London", "Tue,Thu 22:00-24:00 America/New_York"}
	rng := rand.New(rand.NewPCG(1, 2))
	base := utc(2026, 1, 1, 0, 0)
	for _, spec := range specs {
		cal, err := Parse(spec, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Run(cal.String(), func(t *testing.T) {
			for range 60 {
				start := base.Add(time.Duration(rng.IntN(2*365*24*60)) * time.Minute)
				hours := 1 + rng.IntN(48)
				got := cal.Add(start, hours)
				if want := slowAdd(cal, start, hours); !got.Equal(want) {
					t.Fatalf("Add(%s, %d) = %s, reference says %s", start.Format(time.RFC3339), hours, got.Format(time.RFC3339), want.Format(time.RFC3339))
				}
				// The last business minute before the deadline is open.
				if !cal.IsOpen(got.Add(-time.Second)) {
					t.Fatalf("Add(%s, %d) = %s is not within business hours", start.Format(time.RFC3339), hours, got.Format(time.RFC3339))
				}
				if next := cal.Add(start, hours+1); !next.After(got) {
					t.Fatalf("not monotonic: Add(%s, %d) = %s, Add(..., %d) = %s", start.Format(time.RFC3339), hours, got, hours+1, next)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", DefaultSpec, "Sun-Thu 08:30-16:30 Asia/Dubai", "Fri-Mon 00:00-24:00 UTC", "Mon 9-5 X", "Mon-Fri 24:00-24:00 UTC", "-- 00:00- Local"} {
		f.Add(s, "")
		f.Add(s, "2026-12-25,2027-01-01")
	}
	f.Add(DefaultSpec, "none")
	f.Add(DefaultSpec, "2026-13-01")
	start := utc(2026, 11, 20, 15, 0)
	f.Fuzz(func(t *testing.T, spec, holidays string) {
		c, err := Parse(spec, holidays)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse(%q, %q) returned an invalid calendar: %v", spec, holidays, err)
		}
		got := c.Add(start, 1)
		if !c.IsOpen(got.Add(-time.Nanosecond)) || got.Before(start) {
			t.Fatalf("Parse(%q, %q).Add = %s, not within business hours", spec, holidays, got)
		}
	})
}

func BenchmarkAdd(b *testing.B) {
	cal := Default()
	cases := []struct {
		name  string
		start time.Time
		hours int
	}{
		{"4h-same-day", lt(2026, 11, 24, 10, 0), 4},
		{"48h-over-christmas", lt(2026, 12, 24, 16, 0), 48},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cal.Add(bc.start, bc.hours)
			}
		})
	}
}
