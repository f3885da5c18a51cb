package heap

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestForLambda(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		limit   int64
		percent int
	}{
		{"Lambda's 256 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 192 << 20, GCPercent},
		{"Lambda's 10 GB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, 7680 << 20, GCPercent},
		{"outside Lambda", map[string]string{}, 0, 100},
		{"GOGC set", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "GOGC": "50"}, 0, 100},
		{"GOMEMLIMIT set", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "GOMEMLIMIT": "100MiB"}, 0, 100},
		{"not a number", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256MB"}, 0, 100},
		{"zero", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "0"}, 0, 100},
		{"negative", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "-1"}, 0, 100},
		{"absurd", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "99999999999"}, 0, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer debug.SetGCPercent(debug.SetGCPercent(100))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
			if got := ForLambda(func(k string) string { return tc.env[k] }); got != tc.limit {
				t.Errorf("ForLambda = %d, want %d", got, tc.limit)
			}
			wantLimit := tc.limit
			if wantLimit == 0 {
				wantLimit = math.MaxInt64
			}
			if got := debug.SetMemoryLimit(-1); got != wantLimit {
				t.Errorf("memory limit = %d, want %d", got, wantLimit)
			}
			if got := debug.SetGCPercent(tc.percent); got != tc.percent {
				t.Errorf("GC percent = %d, want %d", got, tc.percent)
			}
		})
	}
}
