package tickets

import (
	"crypto/rand"
	"strings"
)

// IDPrefix starts every ticket id.
const IDPrefix = "TKT-"

// crockford is Crockford's base32 alphabet: digits and upper-case letters
// without I, L, O and U, so an id read aloud or retyped cannot be confused.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns "TKT-" and 8 Crockford base32 characters encoding 40 random
// bits from crypto/rand. Collisions are possible (birthday bound around a
// million tickets) and are handled by the conditional write, which draws
// again.
func NewID() string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms (Go 1.24+).
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	var out [len(IDPrefix) + 8]byte
	copy(out[:], IDPrefix)
	for i := len(out) - 1; i >= len(IDPrefix); i-- {
		out[i] = crockford[v&31]
		v >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s has the form NewID produces.
func ValidID(s string) bool {
	if len(s) != len(IDPrefix)+8 || !strings.HasPrefix(s, IDPrefix) {
		return false
	}
	for i := len(IDPrefix); i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}
