package main

import (
	"net/url"
	"strings"

	"github.com/levqor/serverless/shared/problem"
)

// parseQuery reads the health endpoint's one parameter from a raw query
// string. deep=1 or deep=true (any case) asks for dependency checks; deep=0,
// deep=false or an empty value does not. Any other value of deep is refused
// with a Validation problem naming the field, so a typo such as deep=yes is
// not silently answered with a shallow report. Other parameters are ignored:
// monitors add cache-busters (?t=123). When deep repeats, the last wins, but
// every occurrence must be valid.
func parseQuery(raw string) (deep bool, err error) {
	for pair := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if k != "deep" {
			if uk, e := url.QueryUnescape(k); e != nil || uk != "deep" {
				continue
			}
		}
		uv, e := url.QueryUnescape(v)
		if e != nil {
			return false, errDeep
		}
		if deep, err = parseDeep(uv); err != nil {
			return false, err
		}
	}
	return deep, nil
}

var errDeep = problem.Invalid("deep", "invalid", "deep must be 1, true, 0 or false")

// parseDeep reads one decoded value of deep; see parseQuery.
func parseDeep(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true":
		return true, nil
	case "", "0", "false":
		return false, nil
	}
	return false, errDeep
}
