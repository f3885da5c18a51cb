// Package correlation extracts, validates and generates the correlation ids
// that tie one request's logs, records and events together.
package correlation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Header is the HTTP header that carries the id in and out.
const Header = "X-Correlation-ID"

// MaxLen bounds an accepted id so a client cannot inflate every log line.
const MaxLen = 128

// Valid reports whether s is a well-formed id: 8 to MaxLen characters from
// [A-Za-z0-9._:-]. Anything else could smuggle separators or control bytes
// into logs and headers, so it is replaced rather than cleaned.
func Valid(s string) bool {
	if len(s) < 8 || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// New returns a fresh random id in UUID version 4 form.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms (Go 1.24+).
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// FromHeader keeps a well-formed incoming id and otherwise returns a new one.
func FromHeader(v string) string {
	if Valid(v) {
		return v
	}
	return New()
}

type ctxKey struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the id carried by ctx, or "" when there is none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}
