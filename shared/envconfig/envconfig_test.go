package envconfig

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSource(t *testing.T) {
	env := Source(func(name string) string {
		return map[string]string{
			"NAME": "levqor", "TTL": "1h", "TTL_BAD": "a day", "TTL_SHORT": "5s", "TTL_LONG": "9000h",
			"N": "3", "N_BAD": "three", "N_LOW": "0", "ON": " false ", "ON_BAD": "maybe",
		}[name]
	})
	tests := []struct {
		name    string
		got     func() (any, error)
		want    any
		wantErr string // a substring of the error; "" for none
	}{
		{"string set", func() (any, error) { return env.String("NAME", "def"), nil }, "levqor", ""},
		{"string default", func() (any, error) { return env.String("UNSET", "def"), nil }, "def", ""},
		{"required set", func() (any, error) { return env.Required("NAME", "the service") }, "levqor", ""},
		{"required missing", func() (any, error) { return env.Required("TABLE_NAME", "the tickets table") }, "", "TABLE_NAME is required (the tickets table)"},
		{"duration set", func() (any, error) { return env.Duration("TTL", 24*time.Hour, time.Minute, 720*time.Hour) }, time.Hour, ""},
		{"duration default", func() (any, error) { return env.Duration("UNSET", 24*time.Hour, time.Minute, 720*time.Hour) }, 24 * time.Hour, ""},
		{"duration malformed", func() (any, error) { return env.Duration("TTL_BAD", time.Hour, time.Minute, 0) }, time.Duration(0), "TTL_BAD must be a Go duration of at least 1m0s"},
		{"duration too short", func() (any, error) { return env.Duration("TTL_SHORT", time.Hour, time.Minute, 720*time.Hour) }, time.Duration(0), "TTL_SHORT must be a Go duration from 1m0s to 720h0m0s"},
		{"duration too long", func() (any, error) { return env.Duration("TTL_LONG", time.Hour, time.Minute, 720*time.Hour) }, time.Duration(0), "TTL_LONG"},
		{"duration unbounded", func() (any, error) { return env.Duration("TTL_LONG", time.Hour, time.Nanosecond, 0) }, 9000 * time.Hour, ""},
		{"int set", func() (any, error) { return env.Int("N", 2, 1, 100) }, 3, ""},
		{"int default", func() (any, error) { return env.Int("UNSET", 2, 1, 100) }, 2, ""},
		{"int malformed", func() (any, error) { return env.Int("N_BAD", 2, 1, 100) }, 0, "N_BAD must be a whole number from 1 to 100"},
		{"int out of range", func() (any, error) { return env.Int("N_LOW", 2, 1, 100) }, 0, "N_LOW"},
		{"bool set", func() (any, error) { return env.Bool("ON", true) }, false, ""},
		{"bool default", func() (any, error) { return env.Bool("UNSET", true) }, true, ""},
		{"bool malformed", func() (any, error) { return env.Bool("ON_BAD", true) }, false, `ON_BAD must be true or false, not "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestOS(t *testing.T) {
	t.Setenv("ENVCONFIG_TEST", "x")
	t.Setenv("ENVCONFIG_EMPTY", "")
	if OS.String("ENVCONFIG_TEST", "d") != "x" || OS.String("ENVCONFIG_EMPTY", "d") != "d" {
		t.Error("OS does not read the process environment")
	}
	if _, err := OS.Required("ENVCONFIG_EMPTY", "a test"); err == nil || !strings.Contains(err.Error(), "ENVCONFIG_EMPTY") {
		t.Errorf("Required(empty) = %v", err)
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{24 * time.Hour: "24h", 40 * time.Second: "40s", 90 * time.Minute: "1h30m", time.Minute: "1m", 1500 * time.Millisecond: "1.5s"} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestReaderReportsEveryError: a Reader collects all bad variables, and
// remembers each variable with its default.
func TestReaderReportsEveryError(t *testing.T) {
	env := map[string]string{"N": "x", "D": "soon", "B": "maybe"}
	r := Source(func(k string) string { return env[k] }).Reader()
	r.Required("T", "the table")
	r.Int("N", 2, 1, 9)
	r.Duration("D", time.Hour, time.Second, 0)
	r.Bool("B", true)
	r.Parse("P", "", func(string) error { return errors.New("bad") })
	err := r.Err()
	for _, name := range []string{"T is required", "N must", "D must", "B must", "P: bad"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Err() = %v, want it to name %q", err, name)
		}
	}
	want := []Var{{"T", "", true}, {"N", "2", false}, {"D", "1h", false}, {"B", "true", false}, {"P", "", false}}
	if got := r.Vars(); !slices.Equal(got, want) {
		t.Errorf("Vars() = %+v, want %+v", got, want)
	}
}
