// Package idempotency makes a POST safe to retry, following the IETF
// "The Idempotency-Key HTTP Header Field" draft: the key's syntax, the
// caller's scope, the request fingerprint and the record a first response
// is replayed from. shared/dynamo stores the record in the same
// transaction as what the request creates; this package holds no storage
// code.
package idempotency

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/levqor/serverless/shared/problem"
)

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks a response replayed from a stored record.
const ReplayedHeader = "Idempotent-Replayed"

// MaxKeyLen bounds a key; the draft leaves the limit to the server.
const MaxKeyLen = 255

// DefaultTTL is how long a completed record is replayed (the idempotency
// window). IDEMPOTENCY_TTL overrides it.
const DefaultTTL = 24 * time.Hour

// DefaultInFlight is the in-progress expiry used when the context has no
// deadline; in Lambda the invocation deadline is used instead.
const DefaultInFlight = 30 * time.Second

// Record statuses, as Powertools names them.
const (
	StatusInProgress = "INPROGRESS"
	StatusCompleted  = "COMPLETED"
)

// Key is a client's idempotency key within its scope.
type Key struct {
	Scope string // from Scope
	Value string // from ParseKey
}

// Response is a stored first response, replayed byte for byte.
type Response struct {
	Status int
	Body   []byte
}

// Record is a stored key: the fingerprint of the request that first used
// it and the response it got.
type Record struct {
	Fingerprint string
	Response    Response
}

// TakenError reports a key already recorded: Record is the stored one (its
// request's fingerprint and response), so the caller replays it or refuses
// a different request without reading it again.
type TakenError struct{ Record Record }

// Error says the key is taken.
func (e *TakenError) Error() string { return "idempotency: key already used" }

// Lease is held by the request that wrote an in-progress record. Only its
// holder (the one whose Token the record holds) can complete or release it.
type Lease struct {
	Key   Key
	Token string
}

// ParseKey validates an Idempotency-Key header value. The draft sends the
// key as a structured-field string ("..."); a bare token is accepted too.
// Keys are 1 to MaxKeyLen characters from [A-Za-z0-9._:~+/=-]: enough for
// UUIDs, ULIDs and base64, and nothing that could break a log line or the
// record's key. It returns a Validation *problem.Error naming the header.
func ParseKey(v string) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" || len(v) > MaxKeyLen {
		return "", problem.Invalid(Header, "invalid", Header+" must be 1 to "+strconv.Itoa(MaxKeyLen)+" characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '~', c == '+', c == '/', c == '=':
		default:
			return "", problem.Invalid(Header, "invalid", Header+" may only contain letters, digits and - _ . : ~ + / =")
		}
	}
	return v, nil
}

// Scope returns the scope for a caller: kind names how the caller was
// identified ("sub" for a verified token subject, "ip" for an anonymous
// source address) and identity is that value. It is hashed so records do not
// store addresses or subjects in clear, and so one caller's records are
// unreachable from any other identity.
func Scope(kind, identity string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + identity))
	return kind + ":" + hex.EncodeToString(h[:16])
}

// Fingerprint hashes the parts of a request that make it "the same
// request". Parts are length-prefixed so ("ab","c") differs from ("a","bc").
func Fingerprint(parts ...string) string {
	h := sha256.New()
	var n [20]byte
	for _, p := range parts {
		h.Write(strconv.AppendInt(n[:0], int64(len(p)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
