package clientlogs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
)

// TestReadmeStatesTheLimits: README's "Client logs" repeats the limits and
// the alert window and budget; it must say what the code does.
func TestReadmeStatesTheLimits(t *testing.T) {
	section := testutil.ReadmeSection(t, "Client logs")
	kib := func(n int) string { return fmt.Sprintf("%d KiB", n>>10) }
	for _, want := range []string{
		"at most " + kib(MaxBatchBytes) + fmt.Sprintf(" and %d records", MaxRecords),
		"| `message` | required | at most " + kib(MaxMessageBytes) + " |",
		"| `stack` | | at most " + kib(MaxStackBytes) + " |",
		"| `url` | | the page, at most " + kib(MaxURLBytes) + " |",
		fmt.Sprintf("at most %d bytes", MaxTagBytes),
		fmt.Sprintf("at most %d string, number or boolean values", MaxContext),
		fmt.Sprintf("per fingerprint per %d minutes", int(AlertWindow/time.Minute)),
		fmt.Sprintf("at most %d s on it", int(AlertBudget/time.Second)),
		fmt.Sprintf("(%d digits or more", minDigits),
		secretWordList(),
	} {
		if !strings.Contains(section, want) {
			t.Errorf("README's Client logs does not say %q", want)
		}
	}
}

// secretWordList is secretWords as README's Client logs writes them.
func secretWordList() string {
	var ws []string
	for _, w := range secretWords {
		ws = append(ws, "`"+w.word+"`")
	}
	return strings.Join(ws, "/")
}
