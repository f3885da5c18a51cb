package apidoc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/tickets"
)

// TestTicketLimits: the document states the ticket request's limits as
// shared/tickets enforces them.
func TestTicketLimits(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct{ Description string }
		}
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					MinLength, MaxLength int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(Document), &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas["TicketRequest"].Properties
	for _, tc := range []struct {
		field string
		max   int
	}{
		{"subject", tickets.MaxSubjectRunes},
		{"body", tickets.MaxBodyRunes},
		{"email", tickets.MaxEmailBytes},
	} {
		t.Run(tc.field, func(t *testing.T) {
			if got := props[tc.field].MaxLength; got != tc.max {
				t.Errorf("TicketRequest.%s maxLength %d, want %d", tc.field, got, tc.max)
			}
		})
	}
	tooLarge := doc.Paths["/api/support/tickets"]["post"].Responses["413"].Description
	if want := fmt.Sprintf("%d KiB", tickets.MaxRequestBytes>>10); !strings.Contains(tooLarge, want) {
		t.Errorf("413 says %q, want the limit %s", tooLarge, want)
	}
}
