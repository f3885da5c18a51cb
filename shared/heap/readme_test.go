package heap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/levqor/serverless/infra/testutil"
	"github.com/levqor/serverless/shared/heap"
)

// TestReadmeStatesThePolicy: README's "Configuration" repeats the settings;
// it must say what ForLambda does. (An external test package: infra/testutil
// imports heap.)
func TestReadmeStatesThePolicy(t *testing.T) {
	section := testutil.ReadmeSection(t, "Configuration")
	fractions := map[float64]string{0.5: "half", 0.75: "three quarters", 0.8: "four fifths", 0.9: "nine tenths"}
	for _, want := range []string{
		fmt.Sprintf("`GOGC=%d`", heap.GCPercent),
		fmt.Sprintf("soft memory limit (`GOMEMLIMIT`) of %s of the function's `MemorySize`", fractions[heap.LimitFraction]),
	} {
		if !strings.Contains(section, want) {
			t.Errorf("README's Configuration does not say %q", want)
		}
	}
}
