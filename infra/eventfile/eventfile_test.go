package eventfile

import (
	"encoding/json"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		edit func(map[string]any)
		want string // the routeKey after reading
	}{
		{"health.json", nil, "GET /health"},
		{"health.json", func(m map[string]any) { m["routeKey"] = "HEAD /health" }, "HEAD /health"},
	}
	for _, tt := range tests {
		var ev struct {
			RouteKey string `json:"routeKey"`
		}
		if err := json.Unmarshal(Read(t, tt.name, tt.edit), &ev); err != nil || ev.RouteKey != tt.want {
			t.Errorf("Read(%s) routeKey %q (%v), want %q", tt.name, ev.RouteKey, err, tt.want)
		}
	}
	if b := Read(t, "aws/dynamodb-event.json", nil); !json.Valid(b) {
		t.Error("a file in a subdirectory did not read")
	}
}

// TestReadMissing: a missing file fails the test (checked on a stand-in).
func TestReadMissing(t *testing.T) {
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		Read(ft, "no-such-event.json", nil)
	}()
	if !ft.failed {
		t.Error("Read of a missing file did not fail the test")
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatal(...any) {
	f.failed = true
	panic("fatal")
}
