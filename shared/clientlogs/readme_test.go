package clientlogs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadmeStatesTheLimits: README's "Client logs" repeats the limits and
// the alert window and budget; it must say what the code does.
func TestReadmeStatesTheLimits(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Client logs")
	section, _, _ = strings.Cut(section, "\n## ")
	section = strings.Join(strings.Fields(section), " ") // line breaks fall anywhere
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
