// Package probe checks HTTP targets the way uptime monitors (Gatus, Uptime
// Kuma, Upptime) do: a request with a timeout, retried with backoff, its
// status code, response time and JSON body judged against the target's
// configuration. It knows nothing of Lambda, storage or alerting.
package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Limits on configuration, so a mistyped variable cannot make a run
// unbounded.
const (
	MaxConfigBytes    = 64 << 10
	MaxTargets        = 20
	MaxConditions     = 10
	DefaultTimeout    = 5 * time.Second
	MaxTimeout        = 30 * time.Second
	DefaultTargetName = "api"
	// DefaultDegradedAfter is the default target's response-time threshold.
	DefaultDegradedAfter = 2 * time.Second
)

// Target is one thing to check.
type Target struct {
	Name          string        // [a-z0-9._-], at most 64: it is a storage key and a metric dimension
	URL           string        // absolute http or https URL
	Method        string        // GET (default), HEAD or POST (without a body)
	Timeout       time.Duration // per attempt
	ExpectStatus  []int         // answers that count as up (default [200])
	DegradedAfter time.Duration // slower than this is degraded; 0 never
	Conditions    []Condition   // on the JSON body; all must hold
	// Public puts the target on the status page, under Display (its name
	// when empty) and nothing else of it: no URL, no error text.
	Public  bool
	Display string
}

// DisplayName is what the status page calls the target.
func (t Target) DisplayName() string {
	if t.Display != "" {
		return t.Display
	}
	return t.Name
}

// MaxDisplay bounds a display name.
const MaxDisplay = 64

// targetJSON is the configuration shape of one target.
type targetJSON struct {
	Name            string   `json:"name"`
	URL             string   `json:"url"`
	Method          string   `json:"method"`
	TimeoutMs       *int64   `json:"timeout_ms"`
	ExpectStatus    []int    `json:"expect_status"`
	DegradedAfterMs *int64   `json:"degraded_after_ms"`
	Conditions      []string `json:"conditions"`
	Public          bool     `json:"public"`
	DisplayName     string   `json:"display_name"`
}

// validName reports whether s is a target name: 1 to 64 bytes, a lower-case
// letter or digit first, then lower-case letters, digits, '.', '_' or '-'
// (the regexp ^[a-z0-9][a-z0-9._-]{0,63}$, which the tests keep as the
// reference). Written by hand because that regexp's {0,63} compiles into a
// 64-fold program at package init: about 0.3 ms and 700 allocations of
// every keepalive cold start, for a check run once per configured target.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ParseTargets reads the KEEPALIVE_TARGETS configuration: a JSON list of
// objects with the fields name, url, method, timeout_ms, expect_status,
// degraded_after_ms and conditions, for example
//
//	[{"name":"site","url":"https://levqor.ai/","expect_status":[200,301],"degraded_after_ms":1500},
//	 {"name":"api","url":"https://api.example/health","conditions":["status == \"ok\""]}]
//
// Blank input means no configured targets (nil, nil): the caller then uses
// DefaultTarget. It returns an error naming the first problem: invalid JSON,
// unknown fields, trailing data, duplicate names, or a field out of range.
func ParseTargets(data []byte) ([]Target, error) {
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("targets: configuration larger than %d bytes", MaxConfigBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw []targetJSON
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("targets: not a JSON list of targets: %w", err)
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return nil, errors.New("targets: data after the JSON list")
	}
	if len(raw) == 0 {
		return nil, errors.New("targets: the list is empty (leave the variable blank for the default target)")
	}
	if len(raw) > MaxTargets {
		return nil, fmt.Errorf("targets: more than %d targets", MaxTargets)
	}
	seen := map[string]bool{}
	out := make([]Target, 0, len(raw))
	for i, r := range raw {
		t, err := r.target()
		if err != nil {
			return nil, fmt.Errorf("targets[%d]: %w", i, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("targets[%d]: name %q used twice", i, t.Name)
		}
		seen[t.Name] = true
		out = append(out, t)
	}
	return out, nil
}

func (r targetJSON) target() (Target, error) {
	t := Target{Name: r.Name, URL: r.URL, Method: strings.ToUpper(r.Method), Timeout: DefaultTimeout, ExpectStatus: r.ExpectStatus,
		Public: r.Public, Display: strings.TrimSpace(r.DisplayName)}
	if len(t.Display) > MaxDisplay || strings.ContainsFunc(t.Display, unicode.IsControl) {
		return Target{}, fmt.Errorf("display_name must be at most %d characters without control characters", MaxDisplay)
	}
	if !validName(t.Name) {
		return Target{}, errors.New("name must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	}
	if err := ValidURL(t.URL); err != nil {
		return Target{}, err
	}
	switch t.Method {
	case "":
		t.Method = "GET"
	case "GET", "HEAD", "POST":
	default:
		return Target{}, fmt.Errorf("method %q is not GET, HEAD or POST", r.Method)
	}
	if r.TimeoutMs != nil {
		d := time.Duration(*r.TimeoutMs) * time.Millisecond
		if *r.TimeoutMs < 1 || d > MaxTimeout {
			return Target{}, fmt.Errorf("timeout_ms must be from 1 to %d", MaxTimeout.Milliseconds())
		}
		t.Timeout = d
	}
	if len(t.ExpectStatus) == 0 {
		t.ExpectStatus = []int{200}
	}
	if len(t.ExpectStatus) > 20 {
		return Target{}, errors.New("expect_status lists more than 20 codes")
	}
	for _, c := range t.ExpectStatus {
		if c < 100 || c > 599 {
			return Target{}, fmt.Errorf("expect_status %d is not an HTTP status code", c)
		}
	}
	if r.DegradedAfterMs != nil {
		if *r.DegradedAfterMs < 0 || *r.DegradedAfterMs > MaxTimeout.Milliseconds() {
			return Target{}, fmt.Errorf("degraded_after_ms must be from 0 to %d", MaxTimeout.Milliseconds())
		}
		t.DegradedAfter = time.Duration(*r.DegradedAfterMs) * time.Millisecond
	}
	if len(r.Conditions) > MaxConditions {
		return Target{}, fmt.Errorf("more than %d conditions", MaxConditions)
	}
	for _, s := range r.Conditions {
		c, err := ParseCondition(s)
		if err != nil {
			return Target{}, err
		}
		t.Conditions = append(t.Conditions, c)
	}
	return t, nil
}

// ValidURL returns an error unless s is an absolute http or https URL of
// at most 2048 characters without user credentials: the only URLs the
// monitor will request.
func ValidURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errors.New("url must be an absolute http or https URL without credentials")
	}
	if len(s) > 2048 {
		return errors.New("url longer than 2048 characters")
	}
	return nil
}

// DefaultDisplayName is the default target's name on the status page.
const DefaultDisplayName = "Levqor API"

// DefaultTarget is this API's own /health, expecting status "ok" and the
// deployed version. apiURL is the API's base URL (the stage's invoke URL);
// a trailing slash is ignored. It returns an error when apiURL is not an
// absolute http or https URL.
func DefaultTarget(apiURL, version string) (Target, error) {
	base := strings.TrimRight(apiURL, "/")
	if err := ValidURL(base); err != nil {
		return Target{}, fmt.Errorf("api_url: %w", err)
	}
	conds := make([]Condition, 0, 2)
	for _, s := range []string{`status == "ok"`, `version == ` + quote(version)} {
		c, err := ParseCondition(s)
		if err != nil {
			return Target{}, fmt.Errorf("default target: %w", err)
		}
		conds = append(conds, c)
	}
	return Target{
		Name: DefaultTargetName, URL: base + "/health", Method: "GET", Timeout: DefaultTimeout,
		ExpectStatus: []int{200}, DegradedAfter: DefaultDegradedAfter, Conditions: conds,
		Public: true, Display: DefaultDisplayName,
	}, nil
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}
