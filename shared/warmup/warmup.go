// Package warmup recognises the keepalive's warm-up invocation, which every
// function answers at once without touching DynamoDB or the network (the
// lambda-warmer practice): it keeps an execution environment initialised
// without doing work.
package warmup

import (
	"bytes"
	"encoding/json"

	"github.com/levqor/serverless/shared/tiers"
)

// Payload is the exact event the keepalive sends to warm a function.
const Payload = `{"levqor_warmup":true}`

// Response is what a warmed function answers.
type Response struct {
	Warm     bool   `json:"warm"`
	Function string `json:"function"`
	Cold     bool   `json:"cold_start"`
}

// IntrospectPayload is the event the drift scan sends a deployed function
// to learn what it runs: answered at once, like a warm-up, touching nothing.
const IntrospectPayload = `{"levqor_introspect":true}`

// Introspection is a function's answer to IntrospectPayload: its version
// and build stamp and the policy it applies (the tier table and the
// commercial values compiled into it).
type Introspection struct {
	Function string         `json:"function"`
	Version  string         `json:"version"`
	Build    string         `json:"build"`
	Tiers    []tiers.Config `json:"tiers"`
	Policy   tiers.Policy   `json:"policy"`
}

// IsIntrospect reports whether raw is exactly IntrospectPayload.
func IsIntrospect(raw []byte) bool { return exact(raw, "levqor_introspect") }

// Outcome is one warm-up invocation's result, as the keepalive reports it.
type Outcome struct {
	Function  string `json:"function"`
	OK        bool   `json:"ok"`
	ColdStart bool   `json:"cold_start"`
	LatencyMs int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

// Is reports whether raw is a warm-up invocation. Only the exact shape
// {"levqor_warmup":true} qualifies, so no real event can be mistaken for one.
func Is(raw []byte) bool { return exact(raw, "levqor_warmup") }

// exact reports whether raw is the object {"<member>":true} and nothing
// else, whitespace aside.
func exact(raw []byte, member string) bool {
	if len(raw) > 64 {
		return false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return false
	}
	return buf.String() == `{"`+member+`":true}`
}
