package status

import (
	"bytes"
	_ "embed"
	"html"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed page.html
var pageHTML string

// HTML renders p as the status page: one document with its CSS inline and
// no script, readable at a phone's width. It returns the template's error,
// which the embedded template does not produce for any Page.
func HTML(p Page) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(32 << 10)
	v := view{Page: p, Bars: make([]template.HTML, len(p.Targets))}
	for i, t := range p.Targets {
		v.Bars[i] = bars(t.Days)
	}
	err := tmpl().Execute(&b, v)
	return b.Bytes(), err
}

// view is what the template renders: the page, and each target's bars
// written here rather than by the template, whose reflective calls cost
// ten times more for the 90 items of every target.
type view struct {
	Page
	Bars []template.HTML
}

// bars writes the day bars. Everything in them is the page's own (dates,
// figures, level names), escaped all the same.
func bars(days []Bar) template.HTML {
	var b strings.Builder
	b.Grow(len(days) * 110)
	for _, d := range days {
		label := html.EscapeString(d.Date + ": " + barText(d))
		b.WriteString(`<li class="`)
		b.WriteString(html.EscapeString(d.Level))
		b.WriteString(`" title="`)
		b.WriteString(label)
		b.WriteString(`"><span class="vh">`)
		b.WriteString(label)
		b.WriteString("</span></li>")
	}
	return template.HTML(b.String())
}

func barText(b Bar) string {
	if b.Percent == nil {
		return "no data"
	}
	return Percent(b.Percent) + " uptime"
}

// tmpl is parsed on the first page served, not at every keepalive cold
// start: most invocations are the hourly run.
var tmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("status").Funcs(template.FuncMap{
		"slaText":  func(sla float64) string { return strconv.FormatFloat(sla, 'f', -1, 64) },
		"missed":   func(f Figure) bool { return f.MeetsSLA != nil && !*f.MeetsSLA },
		"percent":  Percent,
		"duration": Duration,
		"id":       func(s string) string { return strings.Map(idRune, strings.ToLower(s)) },
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format("2 Jan 2006 15:04")
			case *time.Time:
				if v != nil {
					return v.UTC().Format("2 Jan 2006 15:04")
				}
			}
			return ""
		},
		"overallText": func(s string) string {
			switch s {
			case Outage:
				return "Service outage: some services are down"
			case Degraded:
				return "Degraded performance: some services are slow"
			case Unknown:
				return "No checks yet"
			}
			return "All systems operational"
		},
		"stateText": func(s string) string {
			switch s {
			case Operational:
				return "Operational"
			case Degraded:
				return "Degraded"
			case Outage:
				return "Outage"
			}
			return "No data yet"
		},
		"windowText": func(w string) string {
			switch w {
			case "24h":
				return "Last 24 hours"
			case "7d":
				return "Last 7 days"
			case "30d":
				return "Last 30 days"
			}
			return "Last 90 days"
		},
	}).Parse(pageHTML))
})

func idRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return r
	}
	return '-'
}
