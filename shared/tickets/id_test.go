package tickets

import (
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	chars := map[rune]bool{}
	for i := 0; i < 2000; i++ {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q, not valid", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q within 2000 draws", id)
		}
		seen[id] = true
		for _, r := range id[len(IDPrefix):] {
			chars[r] = true
		}
	}
	for _, bad := range "ILOU" {
		if chars[bad] {
			t.Errorf("ambiguous character %q used", bad)
		}
	}
	if len(chars) < 30 { // 2000 ids × 8 chars cover all 32 symbols in practice
		t.Errorf("only %d distinct characters used; alphabet not covered", len(chars))
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"TKT-0123ABCD", true},
		{"TKT-ZZZZZZZZ", true},
		{"TKT-0123ABC", false},
		{"TKT-0123ABCDE", false},
		{"TKT-0123ABCI", false},
		{"TKT-0123abcd", false},
		{"tkt-0123ABCD", false},
		{"XYZ-0123ABCD", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			if got := ValidID(tc.id); got != tc.want {
				t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
	if strings.Count(crockford, "") != 33 {
		t.Fatalf("alphabet has %d symbols, want 32", len(crockford))
	}
}
