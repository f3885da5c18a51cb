package jsonstr

import "testing"

// naive is Special a byte at a time.
func naive(s string, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return i
		}
	}
	return len(s)
}

func TestSpecial(t *testing.T) {
	cases := []struct {
		s    string
		from int
		want int
	}{
		{"", 0, 0},
		{"plain", 0, 5},
		{"plain text, all of it", 0, 21},
		{`say "hi"`, 0, 4},
		{"0123456789\n", 0, 10},
		{"0123456789\\n", 3, 10},
		{"abcdefgh\"ij", 0, 8},
		{"ab\"cdefghij", 3, 11}, // the '"' before from is not seen, nor lends a borrow
		{"\x01bcdefghijk", 1, 11},
		{"é", 0, 0},
		{"abcdefghé", 0, 8},
		{"abcdefghij\x7f", 0, 11}, // DEL is held as it is
	}
	for _, tc := range cases {
		if got := Special(tc.s, tc.from); got != tc.want {
			t.Errorf("Special(%q, %d) = %d, want %d", tc.s, tc.from, got, tc.want)
		}
	}
}

func FuzzSpecial(f *testing.F) {
	f.Add("abcdefgh\"ijklmno\\p\x00é", 0)
	f.Add("ab\"cdefghij", 3)
	f.Fuzz(func(t *testing.T, s string, from int) {
		if from < 0 || from > len(s) {
			return
		}
		if got, want := Special(s, from), naive(s, from); got != want {
			t.Fatalf("Special(%q, %d) = %d, want %d", s, from, got, want)
		}
	})
}
