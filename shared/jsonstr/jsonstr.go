// Package jsonstr finds, eight bytes at a time, where text stops being
// what a JSON string holds as it is: the log handler's escaper and the
// client-log batch scanner both spend most of their time passing over such
// text.
package jsonstr

import "math/bits"

// lo and hi are the bytes 0x01 and 0x80 in every lane of a uint64.
const lo, hi = 0x0101010101010101, 0x8080808080808080

// Special returns the index of the first byte of s at or after i that is a
// '"', a '\\', below 0x20 or 0x80 and above (the start of a multi-byte
// sequence, or invalid UTF-8), or len(s) when there is none.
func Special(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := flags(load(s[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if i >= len(s) {
		return len(s)
	}
	if len(s) >= 8 {
		// The last few: the last eight, with the bytes before i (passed
		// already) read as 'a', so that none of them is flagged or lends
		// a borrow.
		done := uint64(1)<<(8*(i-len(s)+8)) - 1
		m := flags(load(s[len(s)-8:])&^done | 'a'*lo&done)
		if m == 0 {
			return len(s)
		}
		return len(s) - 8 + bits.TrailingZeros64(m)>>3
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return i
		}
	}
	return i
}

// load reads eight bytes little-endian; the compiler makes it one load.
func load(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// flags sets the top bit of the lowest byte of x that Special stops at
// (the has-a-zero-byte test of "Bit Twiddling Hacks"): a borrow only runs
// up from a flagged byte, so flags above the lowest may be false ones,
// never the lowest.
func flags(x uint64) uint64 {
	q, bs := x^('"'*lo), x^('\\'*lo)
	return (x | (x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs) & hi
}
