// Package envconfig reads a Lambda function's configuration from its
// environment, the one place configuration comes from (template.yaml sets it
// in AWS; the local stack sets it from the template). Every error names the
// variable, so a misconfigured deployment fails its first cold start with a
// message that says what to fix instead of misbehaving later.
package envconfig

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Source looks one variable up: os.Getenv in a function's main, a map in
// tests. An empty value counts as unset (the template writes "" for an
// optional parameter left blank).
type Source func(name string) string

// OS is the process environment.
var OS Source = os.Getenv

// String returns name's value, or def when it is empty.
func (s Source) String(name, def string) string {
	if v := s(name); v != "" {
		return v
	}
	return def
}

// Required returns name's value. It returns an error "NAME is required
// (what)" when the value is empty; what says what the variable is for.
func (s Source) Required(name, what string) (string, error) {
	if v := s(name); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%s is required (%s)", name, what)
}

// Duration returns name's value as a Go duration (time.ParseDuration), or
// def when it is empty. It returns an error naming the variable when the
// value does not parse or lies outside [lo, hi]; hi <= 0 means no upper
// bound.
func (s Source) Duration(name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := s(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || hi > 0 && d > hi {
		if hi > 0 {
			return 0, fmt.Errorf("%s must be a Go duration from %v to %v (e.g. %v), got %q", name, lo, hi, def, v)
		}
		return 0, fmt.Errorf("%s must be a Go duration of at least %v (e.g. %v), got %q", name, lo, def, v)
	}
	return d, nil
}

// Int returns name's value as a whole number, or def when it is empty. It
// returns an error naming the variable when the value is not a whole number
// in [lo, hi].
func (s Source) Int(name string, def, lo, hi int) (int, error) {
	v := s(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d, not %q", name, lo, hi, v)
	}
	return n, nil
}

// Bool returns name's value as a boolean (strconv.ParseBool: true, false,
// 1, 0, ...; surrounding spaces ignored), or def when it is empty. It
// returns an error naming the variable when the value is not a boolean.
func (s Source) Bool(name string, def bool) (bool, error) {
	v := s(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, not %q", name, v)
	}
	return b, nil
}

// String is OS.String.
func String(name, def string) string { return OS.String(name, def) }

// Required is OS.Required: it returns an error naming the variable when it
// is empty.
func Required(name, what string) (string, error) { return OS.Required(name, what) }

// Exit fails a function's start: it writes "function: err" to stderr and
// exits with status 1, before the runtime API is ever polled, so the
// misconfiguration shows as an init error in the function's log.
func Exit(function string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", function, err)
	os.Exit(1)
}
