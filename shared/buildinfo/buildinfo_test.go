package buildinfo

import (
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	if Version == "" || Build == "" {
		t.Errorf("Version %q Build %q must never be empty", Version, Build)
	}
	if Started.IsZero() || Started.After(time.Now()) {
		t.Errorf("Started = %v", Started)
	}
}
