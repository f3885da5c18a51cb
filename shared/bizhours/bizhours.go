// Package bizhours does business-hours arithmetic: support SLAs are promised
// in business hours (Monday to Friday, 09:00 to 17:00 Europe/London by
// default, bank holidays excluded), so a deadline has to be counted on the
// local wall clock, across weekends, holidays and daylight-saving changes.
//
// Time-zone data is embedded in the binary so the result never depends on
// what the Lambda image happens to ship, and any IANA zone can be configured.
// It is every zone time/tzdata knows (598 names), from ZonesFrom on, with
// byte-identical aliases stored once and no zip structure: zoneinfo.bin is
// 124 KB where time/tzdata embeds Go's 408 KB zoneinfo.zip, and the tickets
// binary has to fit 8 MiB (BENCHMARKS.md). It is generated from the Go
// toolchain's own zoneinfo.zip (go generate; see internal/genzones), and a
// test fails when a Go upgrade brings different zone data, so a
// regeneration is never missed.
package bizhours

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ZonesFrom is the first year whose local times the embedded zone data
// gives exactly: internal/genzones drops the transitions before it (but the
// last, which gives the offset in force then), because a deadline is
// counted from a ticket's creation, never in the past, and the history was
// half the data.
const ZonesFrom = 2000

// DefaultSpec is the business-hours specification used when none is configured.
const DefaultSpec = "Mon-Fri 09:00-17:00 Europe/London"

// dateLayout is the form of a holiday key: a local calendar date.
const dateLayout = "2006-01-02"

// Calendar describes when a support desk is open. Open and Close are wall-clock
// offsets since local midnight (9h, 17h), applied on the wall clock so that
// 09:00 stays 09:00 across daylight-saving changes. Weekdays is indexed by
// time.Weekday. Holidays holds explicit local dates in YYYY-MM-DD form;
// Rule, when set, gives the holidays of any year by rule (EnglandAndWales),
// so a calendar never runs out of them.
type Calendar struct {
	Location    *time.Location
	Open, Close time.Duration
	Weekdays    [7]bool
	Holidays    map[string]bool
	Rule        func(year int) map[string]bool
}

// Default returns Monday to Friday, 09:00 to 17:00 Europe/London, closed on
// the England and Wales bank holidays of every year (EnglandAndWales).
func Default() Calendar {
	loc, err := loadLocation("Europe/London")
	if err != nil { // unreachable: the zone database is embedded.
		loc = time.UTC
	}
	c := Calendar{Location: loc, Open: 9 * time.Hour, Close: 17 * time.Hour, Holidays: map[string]bool{}, Rule: EnglandAndWales}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Weekdays[d] = true
	}
	return c
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Parse builds a Calendar from configuration (the BUSINESS_HOURS and
// BUSINESS_HOLIDAYS environment variables).
//
// spec is "<days> <HH:MM>-<HH:MM> <IANA zone>", for example
// "Mon-Fri 09:00-17:00 Europe/London" or "Sun-Thu,Sat 08:30-16:30 Asia/Dubai":
// days are three-letter English names (any case), single or as ranges
// (ranges may wrap, "Fri-Mon"), joined by commas; close is after open and at
// most 24:00. An empty spec means DefaultSpec.
//
// holidays is a comma-separated list of YYYY-MM-DD local dates, which then
// are the only holidays; "" means the England and Wales bank holidays by
// rule (EnglandAndWales) and "none" no holidays at all.
//
// It returns an error naming the part that is wrong and the expected form;
// the zone "Local" is refused because it would depend on the host.
func Parse(spec, holidays string) (Calendar, error) {
	if strings.TrimSpace(spec) == "" {
		spec = DefaultSpec
	}
	fields := strings.Fields(spec)
	if len(fields) != 3 {
		return Calendar{}, fmt.Errorf("business hours %q: want \"<days> <HH:MM>-<HH:MM> <zone>\", e.g. %q", spec, DefaultSpec)
	}
	var c Calendar
	var err error
	if c.Weekdays, err = parseDays(fields[0]); err != nil {
		return Calendar{}, fmt.Errorf("business hours days %q: %w", fields[0], err)
	}
	if c.Open, c.Close, err = parseSpan(fields[1]); err != nil {
		return Calendar{}, fmt.Errorf("business hours times %q: %w", fields[1], err)
	}
	if fields[2] == "Local" {
		return Calendar{}, errors.New(`business hours zone "Local" depends on the host; name an IANA zone such as Europe/London`)
	}
	if c.Location, err = loadLocation(fields[2]); err != nil {
		return Calendar{}, fmt.Errorf("business hours zone %q: not a known IANA time zone (e.g. Europe/London)", fields[2])
	}
	return c.WithHolidays(holidays)
}

// WithHolidays returns c closed on the holidays the BUSINESS_HOLIDAYS
// setting names: "" the England and Wales bank holidays by rule, "none" no
// holidays, else exactly the listed YYYY-MM-DD dates. It returns
// ParseHolidays' error for a bad list.
func (c Calendar) WithHolidays(holidays string) (Calendar, error) {
	c.Holidays, c.Rule = map[string]bool{}, nil
	if strings.TrimSpace(holidays) == "" {
		c.Rule = EnglandAndWales
		return c, nil
	}
	h, err := ParseHolidays(holidays)
	if err != nil {
		return Calendar{}, err
	}
	c.Holidays = h
	return c, nil
}

// ParseHolidays parses a comma-separated list of YYYY-MM-DD dates; "" and
// "none" are an empty set. It returns an error naming the first entry that
// is not a real calendar date.
func ParseHolidays(s string) (map[string]bool, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return map[string]bool{}, nil
	}
	parts := strings.Split(s, ",")
	m := make(map[string]bool, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		d, err := time.Parse(dateLayout, p)
		if err != nil || d.Format(dateLayout) != p {
			return nil, fmt.Errorf("business holiday %q: want a date as YYYY-MM-DD, e.g. 2026-12-25", p)
		}
		m[p] = true
	}
	return m, nil
}

func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayNames[strings.ToLower(from)]
		if !ok {
			return days, fmt.Errorf("unknown day %q: use Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri", from)
		}
		b := a
		if isRange {
			if b, ok = dayNames[strings.ToLower(to)]; !ok {
				return days, fmt.Errorf("unknown day %q: use Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func parseSpan(s string) (open, close time.Duration, err error) {
	o, c, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, errors.New("want HH:MM-HH:MM, e.g. 09:00-17:00")
	}
	if open, err = parseClock(o); err != nil {
		return 0, 0, err
	}
	if close, err = parseClock(c); err != nil {
		return 0, 0, err
	}
	if close <= open {
		return 0, 0, errors.New("closing time must be after opening time")
	}
	return open, close, nil
}

// parseClock reads HH:MM from 00:00 to 24:00.
func parseClock(s string) (time.Duration, error) {
	bad := fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	digits := [4]byte{s[0], s[1], s[3], s[4]}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, bad
		}
	}
	h := int(digits[0]-'0')*10 + int(digits[1]-'0')
	m := int(digits[2]-'0')*10 + int(digits[3]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, bad
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// Validate reports why c cannot count business hours: no zone, opening not
// before closing or outside the day, or no open weekday. Calendars from
// Default and Parse are always valid.
func (c Calendar) Validate() error {
	switch {
	case c.Location == nil:
		return errors.New("calendar has no time zone")
	case c.Open < 0 || c.Close > 24*time.Hour || c.Close <= c.Open:
		return errors.New("calendar opening hours must satisfy 00:00 <= open < close <= 24:00")
	}
	for _, open := range c.Weekdays {
		if open {
			return nil
		}
	}
	return errors.New("calendar has no open weekday")
}

// String returns c in Parse's spec form plus the number of holidays, for logs.
func (c Calendar) String() string {
	var days []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		if c.Weekdays[(d+1)%7] { // list Monday first
			days = append(days, ((d + 1) % 7).String()[:3])
		}
	}
	zone := "UTC"
	if c.Location != nil {
		zone = c.Location.String()
	}
	if c.Rule != nil {
		return fmt.Sprintf("%s %s-%s %s (England and Wales bank holidays)", strings.Join(days, ","), clock(c.Open), clock(c.Close), zone)
	}
	return fmt.Sprintf("%s %s-%s %s (%d holidays)", strings.Join(days, ","), clock(c.Open), clock(c.Close), zone, len(c.Holidays))
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// StaleHolidays reports an explicit holiday list with no date in the year
// of now or the next: configured once and never renewed, it no longer
// closes the desk on any holiday. Rule-based calendars never go stale.
func (c Calendar) StaleHolidays(now time.Time) bool {
	if c.Rule != nil || len(c.Holidays) == 0 {
		return false
	}
	y := now.In(c.loc()).Year()
	for h := range c.Holidays {
		if strings.HasPrefix(h, fmt.Sprint(y)+"-") || strings.HasPrefix(h, fmt.Sprint(y+1)+"-") {
			return false
		}
	}
	return true
}

// HolidayList returns c's explicit holidays sorted, for documentation and logs.
func (c Calendar) HolidayList() []string {
	l := make([]string, 0, len(c.Holidays))
	for h := range c.Holidays {
		l = append(l, h)
	}
	sort.Strings(l)
	return l
}

// day is one local calendar date.
type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day{y, m, d}
}

// next returns the following calendar date (time.Date normalises the 32nd).
func (d day) next() day {
	return dayOf(time.Date(d.y, d.m, d.d+1, 12, 0, 0, 0, time.UTC))
}

// at returns the instant of wall-clock offset off on date d in loc. Hours and
// minutes go through time.Date (not midnight plus a duration) so that 09:00
// means 09:00 local on the days the clocks change.
func (d day) at(off time.Duration, loc *time.Location) time.Time {
	return time.Date(d.y, d.m, d.d, int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), 0, loc)
}

// isBusinessDay reports whether date d is an open weekday and not a holiday.
// The key is built in a stack buffer; the map lookup with string(b[:]) does
// not allocate.
func (c Calendar) isBusinessDay(d day) bool {
	wd := time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
	if !c.Weekdays[wd] {
		return false
	}
	if len(c.Holidays) == 0 && c.Rule == nil {
		return true
	}
	var b [10]byte
	y := d.y
	if y < 0 || y > 9999 {
		return true // holidays are four-digit years; nothing to match.
	}
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4], b[7] = '-', '-'
	b[5], b[6] = byte('0'+int(d.m)/10), byte('0'+int(d.m)%10)
	b[8], b[9] = byte('0'+d.d/10), byte('0'+d.d%10)
	if c.Rule != nil && c.Rule(y)[string(b[:])] {
		return false
	}
	return !c.Holidays[string(b[:])]
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// IsOpen reports whether t falls within business hours: on an open weekday
// that is not a holiday, at or after opening and before closing. An invalid
// calendar is never open.
func (c Calendar) IsOpen(t time.Time) bool {
	if c.Validate() != nil {
		return false
	}
	loc := c.loc()
	t = t.In(loc)
	d := dayOf(t)
	if !c.isBusinessDay(d) {
		return false
	}
	return !t.Before(d.at(c.Open, loc)) && t.Before(d.at(c.Close, loc))
}

// MaxHours bounds Add's hours: about 48 years of 8-hour days, far beyond any
// SLA, and far below where hours*time.Hour would overflow.
const MaxHours = 100_000

// Add returns the instant hours business hours after start, in UTC. A start
// outside business hours counts from the next opening; a deadline that uses
// up a day exactly ends at that day's closing time (Friday 13:00 plus 4 hours
// is Friday 17:00, not Monday 09:00). hours <= 0 returns start itself.
//
// It walks day by day, taking each open day's remaining hours whole, so the
// cost grows with the number of calendar days spanned, never with minutes.
// Business time is measured in elapsed time, so an opening span that crosses
// a clock change counts the hours that really pass. An invalid calendar (see
// Validate) or hours above MaxHours yields the zero Time, which callers
// passing a tier's SLA to a calendar from Default or Parse never see.
func (c Calendar) Add(start time.Time, hours int) time.Time {
	if hours <= 0 {
		return start.UTC()
	}
	if hours > MaxHours || c.Validate() != nil {
		return time.Time{}
	}
	loc := c.loc()
	remaining := time.Duration(hours) * time.Hour
	cur := start.In(loc)
	d := dayOf(cur)
	// Every 7 consecutive days hold an open weekday, and each holiday closes
	// only one of them, so more than 7*(holidays+1) closed days in a row
	// cannot happen (a guard against looping, not a limit).
	closedRun, maxClosed := 0, 7*(len(c.Holidays)+1)
	if c.Rule != nil {
		maxClosed += 14 // a rule closes a few days a year, never two weeks in a row
	}
	for {
		if !c.isBusinessDay(d) {
			if closedRun++; closedRun > maxClosed {
				return time.Time{}
			}
			d = d.next()
			continue
		}
		closedRun = 0
		open, close := d.at(c.Open, loc), d.at(c.Close, loc)
		from := open
		if cur.After(open) {
			from = cur
		}
		if avail := close.Sub(from); avail > 0 {
			if remaining <= avail {
				return from.Add(remaining).UTC()
			}
			remaining -= avail
		}
		d = d.next()
	}
}
