// Package envconfig reads a Lambda function's configuration from its
// environment, the one place configuration comes from (template.yaml sets it
// in AWS; the local stack sets it from the template). Every error names the
// variable, so a misconfigured deployment fails its first cold start with a
// message that says what to fix instead of misbehaving later.
package envconfig

import (
	"errors"
	"fmt"
	"os"
	"slices"
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

// Exit fails a function's start: it writes "function: err" to stderr and
// exits with status 1, before the runtime API is ever polled, so the
// misconfiguration shows as an init error in the function's log.
func Exit(function string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", function, err)
	os.Exit(1)
}

// Var is one variable a function reads, as its Reader saw it: the facts
// README's configuration table and template.yaml must agree with.
type Var struct {
	Name     string
	Default  string // the default as written in the environment; "" when there is none
	Required bool
}

// Reader reads a function's variables through one Source, remembering each
// variable it was asked for and every error, so a bad deployment hears of
// all its mistakes at once. Its zero value is not usable: use Source.Reader.
type Reader struct {
	src  Source
	vars []Var
	errs []error
}

// Reader returns a Reader over s.
func (s Source) Reader() *Reader { return &Reader{src: s} }

func (r *Reader) note(name, def string, required bool) {
	r.vars = append(r.vars, Var{Name: name, Default: def, Required: required})
}

func (r *Reader) fail(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// String returns name's value, or def when it is empty.
func (r *Reader) String(name, def string) string {
	r.note(name, def, false)
	return r.src.String(name, def)
}

// Required returns name's value; an empty one is an error (Err) saying what
// the variable is for.
func (r *Reader) Required(name, what string) string {
	r.note(name, "", true)
	v, err := r.src.Required(name, what)
	r.fail(err)
	return v
}

// Duration is Source.Duration; its error goes to Err and def is returned.
func (r *Reader) Duration(name string, def, lo, hi time.Duration) time.Duration {
	r.note(name, short(def), false)
	d, err := r.src.Duration(name, def, lo, hi)
	if err != nil {
		r.fail(err)
		return def
	}
	return d
}

// Int is Source.Int; its error goes to Err and def is returned.
func (r *Reader) Int(name string, def, lo, hi int) int {
	r.note(name, strconv.Itoa(def), false)
	n, err := r.src.Int(name, def, lo, hi)
	if err != nil {
		r.fail(err)
		return def
	}
	return n
}

// Bool is Source.Bool; its error goes to Err and def is returned.
func (r *Reader) Bool(name string, def bool) bool {
	r.note(name, strconv.FormatBool(def), false)
	b, err := r.src.Bool(name, def)
	if err != nil {
		r.fail(err)
		return def
	}
	return b
}

// Parse reads name with parse, which gets the raw value ("" when unset) and
// returns an error for a bad one; the error goes to Err, prefixed with the
// name unless it names it already. def documents the default parse applies
// to "" (empty: none).
func (r *Reader) Parse(name, def string, parse func(string) error) {
	r.note(name, def, false)
	if err := parse(r.src(name)); err != nil {
		if !strings.HasPrefix(err.Error(), name) {
			err = fmt.Errorf("%s: %w", name, err)
		}
		r.fail(err)
	}
}

// Err returns every error the reads met, joined; nil when all were good.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// Vars returns the variables read so far, in the order they were read.
func (r *Reader) Vars() []Var { return slices.Clone(r.vars) }

// Common reads the variables every function shares: SERVICE_NAME (the log
// field service, default "levqor") and AWS_LAMBDA_FUNCTION_NAME (set by
// Lambda; fn outside it). LOG_LEVEL is noted too: shared/logging reads it
// (over Lambda's AWS_LAMBDA_LOG_LEVEL).
func (r *Reader) Common(fn string) (service, function string) {
	service = r.String("SERVICE_NAME", "levqor")
	function = r.String("AWS_LAMBDA_FUNCTION_NAME", fn)
	r.note("LOG_LEVEL", "", false)
	return service, function
}

// short writes d as people do: 24h, 90m, 40s (time.Duration.String's
// trailing zero units trimmed).
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
