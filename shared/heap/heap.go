// Package heap sizes the Go garbage collector for a Lambda execution
// environment. Go's defaults (GOGC=100, a 4 MB minimum heap) suit a process
// that shares its machine; a Lambda environment has its memory to itself
// and serves one request at a time, and at the defaults much of a request's
// work is collecting a heap that is almost all garbage (BENCHMARKS.md's
// ticket row gives the create at both settings).
package heap

import (
	"runtime/debug"
	"strconv"
)

// GCPercent is the GOGC ForLambda sets: a collection once the heap has grown
// to nine times what is live, and never below 32 MB (Go's 4 MB minimum
// heap times GCPercent/100), so pages are reused warm rather than
// collected every hundred requests.
const GCPercent = 800

// LimitFraction is the share of the function's memory ForLambda gives the
// Go runtime as its soft limit (GOMEMLIMIT): the rest is the binary, the
// runtime's own overhead and headroom, so a larger heap never costs the
// function its memory.
const LimitFraction = 0.75

// MemoryEnv is the variable in which Lambda (and the runtime interface
// emulator) gives a function its memory size in MB.
const MemoryEnv = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"

// ForLambda sets GCPercent and a soft memory limit of LimitFraction of the
// function's memory (MemoryEnv), read through getenv. It returns the
// limit in bytes, or 0 having changed nothing when GOGC or GOMEMLIMIT is
// set (an operator's choice, which the runtime has applied) or the memory
// size is not a positive whole number (not in Lambda).
func ForLambda(getenv func(string) string) int64 {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.Atoi(getenv(MemoryEnv))
	if err != nil || mb <= 0 || mb > 1<<20 {
		return 0
	}
	limit := int64(float64(int64(mb)<<20) * LimitFraction)
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(GCPercent)
	return limit
}
