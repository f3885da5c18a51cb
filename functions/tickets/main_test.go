package main

import (
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/shared/envconfig"
)

func TestReadSettings(t *testing.T) {
	base := map[string]string{"TABLE_NAME": "t", "EVENT_BUS_NAME": "b"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		ttl     time.Duration
	}{
		{"defaults", nil, "", 24 * time.Hour},
		{"ttl set", map[string]string{"IDEMPOTENCY_TTL": "1h"}, "", time.Hour},
		{"no table", map[string]string{"TABLE_NAME": ""}, "TABLE_NAME", 0},
		{"no bus", map[string]string{"EVENT_BUS_NAME": ""}, "EVENT_BUS_NAME", 0},
		{"ttl malformed", map[string]string{"IDEMPOTENCY_TTL": "a day"}, "IDEMPOTENCY_TTL", 0},
		{"ttl too short", map[string]string{"IDEMPOTENCY_TTL": "5s"}, "IDEMPOTENCY_TTL", 0},
		{"ttl too long", map[string]string{"IDEMPOTENCY_TTL": "9000h"}, "IDEMPOTENCY_TTL", 0},
		{"bad hours", map[string]string{"BUSINESS_HOURS": "always"}, "BUSINESS_HOURS", 0},
		{"custom hours", map[string]string{"BUSINESS_HOURS": "Mon-Fri 08:00-18:00 Europe/Dublin", "BUSINESS_HOLIDAYS": "none"}, "", 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			r := envconfig.Source(func(k string) string { return env[k] }).Reader()
			s := readSettings(r)
			err := r.Err()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || s.ttl != tc.ttl || s.table != "t" || s.bus != "b" {
				t.Fatalf("settings %+v, %v", s, err)
			}
		})
	}
}
