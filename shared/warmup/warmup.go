// Package warmup recognises the keepalive's warm-up invocation, which every
// function answers at once without touching DynamoDB or the network (the
// lambda-warmer practice): it keeps an execution environment initialised
// without doing work.
package warmup

import (
	"bytes"
	"encoding/json"
	"io"
)

// Payload is the exact event the keepalive sends to warm a function.
const Payload = `{"levqor_warmup":true}`

// Response is what a warmed function answers.
type Response struct {
	Warm     bool   `json:"warm"`
	Function string `json:"function"`
	Cold     bool   `json:"cold_start"`
}

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
func Is(raw []byte) bool {
	if len(raw) > 64 {
		return false
	}
	var v struct {
		Warmup *bool `json:"levqor_warmup"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil || v.Warmup == nil {
		return false
	}
	if _, err := dec.Token(); err != io.EOF { // trailing data: not the exact shape
		return false
	}
	return *v.Warmup
}
