package bizhours

import (
	"sync"
	"time"
)

// EnglandAndWales returns the England and Wales bank holidays of year as
// YYYY-MM-DD dates, computed by rule so that the calendar never runs out:
// New Year's Day, Good Friday and Easter Monday (Gregorian Easter), the
// early May and spring bank holidays (first and last Monday in May), the
// summer bank holiday (last Monday in August), Christmas Day and Boxing
// Day, each moved to the next weekday when it falls on a weekend, with the
// one-off changes of oneOffs applied. Results are cached per year.
func EnglandAndWales(year int) map[string]bool {
	ewMu.Lock()
	defer ewMu.Unlock()
	if m, ok := ewCache[year]; ok {
		return m
	}
	m := map[string]bool{}
	add := func(t time.Time) { m[t.Format(dateLayout)] = true }
	date := func(mo time.Month, d int) time.Time { return time.Date(year, mo, d, 12, 0, 0, 0, time.UTC) }

	add(weekdayOnOrAfter(date(time.January, 1)))
	easter := easterSunday(year)
	add(easter.AddDate(0, 0, -2))
	add(easter.AddDate(0, 0, 1))
	add(firstMonday(date(time.May, 1)))
	add(lastMonday(date(time.May, 31)))
	add(lastMonday(date(time.August, 31)))
	// Christmas and Boxing Day: a weekend day moves to the next weekday
	// that is not already the other's.
	xmas, boxing := date(time.December, 25), date(time.December, 26)
	switch xmas.Weekday() {
	case time.Saturday: // Monday 27th for Christmas, Tuesday 28th for Boxing Day
		add(xmas.AddDate(0, 0, 2))
		add(xmas.AddDate(0, 0, 3))
	case time.Sunday: // Boxing Day on Monday 26th, Christmas on Tuesday 27th
		add(boxing)
		add(xmas.AddDate(0, 0, 2))
	case time.Friday: // Boxing Day (Saturday) on Monday 28th
		add(xmas)
		add(xmas.AddDate(0, 0, 3))
	default:
		add(xmas)
		add(boxing)
	}
	if c, ok := oneOffs[year]; ok {
		for _, d := range c.remove {
			delete(m, d)
		}
		for _, d := range c.add {
			m[d] = true
		}
	}
	ewCache[year] = m
	return m
}

var (
	ewMu    sync.Mutex
	ewCache = map[int]map[string]bool{}
)

// oneOffs are the dated exceptions the rules cannot know (gov.uk).
var oneOffs = map[int]struct{ remove, add []string }{
	2020: {remove: []string{"2020-05-04"}, add: []string{"2020-05-08"}},                             // early May moved to VE Day
	2022: {remove: []string{"2022-05-30"}, add: []string{"2022-06-02", "2022-06-03", "2022-09-19"}}, // spring moved; Platinum Jubilee; State Funeral
	2023: {add: []string{"2023-05-08"}},                                                             // the King's coronation
}

// easterSunday is the Gregorian Easter Sunday of year (the anonymous
// Gregorian algorithm, Meeus/Jones/Butcher).
func easterSunday(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC)
}

func weekdayOnOrAfter(t time.Time) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func firstMonday(t time.Time) time.Time {
	for t.Weekday() != time.Monday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func lastMonday(t time.Time) time.Time {
	for t.Weekday() != time.Monday {
		t = t.AddDate(0, 0, -1)
	}
	return t
}
