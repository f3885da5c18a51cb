package main

import (
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/envconfig"
)

func TestLoadSettings(t *testing.T) {
	base := map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b"}
	tests := []struct {
		name  string
		env   map[string]string
		err   string
		check func(t *testing.T, s settings)
	}{
		{name: "defaults", env: base, check: func(t *testing.T, s settings) {
			if s.Targets != nil || s.Thresholds.DownAfter != 2 || s.Thresholds.RecoverAfter != 1 || s.Thresholds.DegradedAfter != 2 ||
				s.WarmFunctions != nil || s.Service != "levqor" || s.Function != "keepalive" {
				t.Fatalf("%+v", s)
			}
		}},
		{name: "everything set", env: map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b",
			"KEEPALIVE_TARGETS": `[{"name":"site","url":"https://levqor.ai/"}]`, "KEEPALIVE_DOWN_AFTER": "3",
			"KEEPALIVE_RECOVER_AFTER": "2", "KEEPALIVE_DEGRADED_AFTER": "4", "WARM_FUNCTIONS": "a,b"},
			check: func(t *testing.T, s settings) {
				if len(s.Targets) != 1 || s.Thresholds.DownAfter != 3 || s.Thresholds.RecoverAfter != 2 ||
					s.Thresholds.DegradedAfter != 4 || len(s.WarmFunctions) != 2 {
					t.Fatalf("%+v", s)
				}
			}},
		{name: "warming switched off", env: map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "WARM_FUNCTIONS": "a", "WARMUP_ENABLED": "false"},
			check: func(t *testing.T, s settings) {
				if s.WarmFunctions != nil {
					t.Fatalf("%+v", s)
				}
			}},
		{name: "missing required", env: map[string]string{}, err: "TABLE_NAME is required"},
		{name: "missing bus", env: map[string]string{"TABLE_NAME": "t"}, err: "EVENT_BUS_NAME is required"},
		{name: "bad targets", env: map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "KEEPALIVE_TARGETS": "[{"}, err: "KEEPALIVE_TARGETS"},
		{name: "bad threshold", env: map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "KEEPALIVE_DOWN_AFTER": "0"}, err: "KEEPALIVE_DOWN_AFTER"},
		{name: "bad switch", env: map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "WARMUP_ENABLED": "maybe"}, err: "WARMUP_ENABLED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := envconfig.Source(func(k string) string { return tt.env[k] }).Reader()
			s := loadSettings(r)
			err := r.Err()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}
