package awsid

import (
	"regexp"
	"testing"
	"time"
)

func TestShapes(t *testing.T) {
	tests := []struct {
		name string
		got  string
		re   string
	}{
		{"uuid", UUID(), `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"trace root", TraceRoot(time.Unix(0x5e9f0c65, 0)), `^Root=1-5e9f0c65-[0-9a-f]{24}$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !regexp.MustCompile(tc.re).MatchString(tc.got) {
				t.Errorf("%q does not match %s", tc.got, tc.re)
			}
		})
	}
	if UUID() == UUID() {
		t.Error("two UUIDs are equal")
	}
}
