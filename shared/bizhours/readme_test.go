package bizhours

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/testutil"
)

// TestReadmeExample: README's TicketCreated example has the deadline the
// default calendar gives its creation time and SLA hours.
func TestReadmeExample(t *testing.T) {
	m := regexp.MustCompile(`\{"source":"levqor.support","detail-type":"TicketCreated","detail":\{.*?\}\}`).FindString(testutil.ReadmeSection(t, ""))
	if m == "" {
		t.Fatal("README.md has no TicketCreated example")
	}
	var ev struct {
		Detail struct {
			SLAHours  int       `json:"sla_hours"`
			SLADueAt  time.Time `json:"sla_due_at"`
			CreatedAt time.Time `json:"created_at"`
		} `json:"detail"`
	}
	if err := json.Unmarshal([]byte(m), &ev); err != nil {
		t.Fatalf("README's TicketCreated example: %v\n%s", err, m)
	}
	d := ev.Detail
	if want := Default().Add(d.CreatedAt, d.SLAHours); !d.SLADueAt.Equal(want) {
		t.Errorf("README: %d business hours from %s is due %s, not %s", d.SLAHours, d.CreatedAt, want.Format(time.RFC3339), d.SLADueAt.Format(time.RFC3339))
	}
}
