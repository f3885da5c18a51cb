package testutil

import (
	"os"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/levqor/serverless/shared/heap"
)

// LambdaHeap gives this test process the garbage collector the function in
// functions/<dir> runs with: shared/heap's settings for the MemorySize
// template.yaml gives it, as its main applies them at cold start (GOGC or
// GOMEMLIMIT in the environment still win, as there). Go's settings come
// back when tb ends. It fails tb when the template has no such function.
func LambdaHeap(tb testing.TB, dir string) {
	tb.Helper()
	_, fn := templateFunction(tb, dir)
	percent := debug.SetGCPercent(-1) // read: -1 is put back at once
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1) // read: a negative limit changes nothing
	tb.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	heap.ForLambda(func(k string) string {
		if k == heap.MemoryEnv {
			return strconv.Itoa(fn.MemorySize)
		}
		return os.Getenv(k)
	})
}
