// Package clientlogs is the browser half of the observability layer: the
// batch the site's logger (functions/clientlogs/logger) sends, its limits,
// the scrubbing every string gets before anything is logged, the error
// fingerprint, and the alerting of new client errors.
package clientlogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/levqor/serverless/shared/problem"
)

// Limits of one batch and of a record's fields. A batch over MaxBatchBytes
// or MaxRecords is refused whole; an over-long field is cut and named in
// Record.Truncated.
const (
	MaxBatchBytes   = 64 << 10
	MaxRecords      = 50
	MaxMessageBytes = 2 << 10
	MaxStackBytes   = 16 << 10
	MaxContext      = 20
	// MaxURLBytes bounds the page URL, MaxTagBytes the release and session
	// ids, MaxContextKey a context key and MaxContextValue a string value.
	MaxURLBytes     = 2 << 10
	MaxTagBytes     = 64
	MaxContextKey   = 64
	MaxContextValue = 256
)

// Level is a record's severity.
type Level string

// The levels a record may have.
const (
	Error Level = "error"
	Warn  Level = "warn"
	Info  Level = "info"
)

// Field is one context value: a string, a float64 or a bool.
type Field struct {
	Key   string
	Value any
}

// Record is one accepted, scrubbed record.
type Record struct {
	Level       Level
	Message     string
	Time        time.Time // the browser's clock, as sent
	URL         string
	Stack       string
	Release     string
	Session     string
	Context     []Field  // sorted by key
	Truncated   []string // fields cut to their limit, or context entries left out
	Fingerprint string   // see Fingerprint
}

// Batch is what Parse made of a request body.
type Batch struct {
	Records []Record
	// Dropped counts malformed records, by reason.
	Dropped map[string]int
}

// DroppedTotal is the number of records dropped.
func (b Batch) DroppedTotal() int {
	n := 0
	for _, c := range b.Dropped {
		n += c
	}
	return n
}

// Truncated counts the accepted records that had a field cut.
func (b Batch) Truncated() int {
	n := 0
	for _, r := range b.Records {
		if len(r.Truncated) > 0 {
			n++
		}
	}
	return n
}

type wireBatch struct {
	Records *[]json.RawMessage `json:"records"`
	Release string             `json:"release"`
	Session string             `json:"session"`
}

type wireRecord struct {
	Level   string          `json:"level"`
	Message string          `json:"message"`
	TS      *float64        `json:"ts"`
	URL     string          `json:"url"`
	Stack   string          `json:"stack"`
	Release string          `json:"release"`
	Session string          `json:"session"`
	Context json.RawMessage `json:"context"`
}

// Parse reads a batch (README, "Client logs"). It returns a
// *problem.Error: TooLarge when the body exceeds MaxBatchBytes or holds
// more than MaxRecords records, MalformedJSON when it is not JSON, and
// Validation when it is not an object with a "records" array. Inside a
// valid batch a malformed record is dropped and counted, never an error.
// Every string of an accepted record is scrubbed (Scrub) before it is cut
// to its limit, so a cut never leaves half an address behind.
func Parse(body []byte) (Batch, error) {
	if len(body) > MaxBatchBytes {
		return Batch{}, problem.Newf(problem.TooLarge, "a batch may be at most %d bytes", MaxBatchBytes)
	}
	var w wireBatch
	if err := json.Unmarshal(body, &w); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || !json.Valid(body) {
			return Batch{}, problem.New(problem.MalformedJSON, "the batch is not valid JSON")
		}
		return Batch{}, problem.Invalid("records", "invalid", "the batch must be a JSON object with a records array")
	}
	if w.Records == nil {
		return Batch{}, problem.Invalid("records", "required", "the batch must have a records array")
	}
	raws := *w.Records
	if len(raws) > MaxRecords {
		return Batch{}, problem.Newf(problem.TooLarge, "a batch may hold at most %d records", MaxRecords)
	}
	b := Batch{Records: make([]Record, 0, len(raws))}
	for _, raw := range raws {
		r, reason := parseRecord(raw, w.Release, w.Session)
		if reason != "" {
			if b.Dropped == nil {
				b.Dropped = map[string]int{}
			}
			b.Dropped[reason]++
			continue
		}
		b.Records = append(b.Records, r)
	}
	return b, nil
}

// The reasons a record is dropped.
const (
	DropMalformed = "malformed"
	DropLevel     = "bad_level"
	DropMessage   = "no_message"
	DropTime      = "bad_ts"
	DropContext   = "bad_context"
)

// maxTS bounds ts (milliseconds since 1970) to years before 9999.
const maxTS = 253402300799999

func parseRecord(raw json.RawMessage, release, session string) (Record, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Record{}, DropMalformed
	}
	var w wireRecord
	if err := json.Unmarshal(raw, &w); err != nil {
		return Record{}, DropMalformed
	}
	r := Record{Level: Level(w.Level)}
	switch r.Level {
	case Error, Warn, Info:
	default:
		return Record{}, DropLevel
	}
	if strings.TrimSpace(w.Message) == "" {
		return Record{}, DropMessage
	}
	if w.TS == nil || math.IsNaN(*w.TS) || *w.TS <= 0 || *w.TS > maxTS {
		return Record{}, DropTime
	}
	r.Time = time.UnixMilli(int64(*w.TS)).UTC()
	if w.Release == "" {
		w.Release = release
	}
	if w.Session == "" {
		w.Session = session
	}
	r.Message = r.field("message", w.Message, MaxMessageBytes)
	r.Stack = r.field("stack", w.Stack, MaxStackBytes)
	r.URL = r.field("url", w.URL, MaxURLBytes)
	r.Release = r.field("release", w.Release, MaxTagBytes)
	r.Session = r.field("session", w.Session, MaxTagBytes)
	if !r.context(w.Context) {
		return Record{}, DropContext
	}
	r.Fingerprint = Fingerprint(r.Level, r.Message, r.Stack)
	return r, ""
}

// field scrubs v and cuts it to limit bytes, noting the cut.
func (r *Record) field(name, v string, limit int) string {
	if v == "" {
		return ""
	}
	v = Scrub(v)
	if len(v) > limit {
		v = cut(v, limit)
		r.Truncated = append(r.Truncated, name)
	}
	return v
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// context reads the context object: keys sorted, at most MaxContext
// string, number or boolean values; other values are left out and noted.
// It reports false when the context is present but not an object.
func (r *Record) context(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	omitted := false
	for _, k := range keys {
		var v any
		switch x := m[k].(type) {
		case string:
			v = Scrub(x)
			if s := v.(string); len(s) > MaxContextValue {
				v = cut(s, MaxContextValue)
				omitted = true
			}
		case float64, bool:
			v = x
		default:
			omitted = true
			continue
		}
		if len(r.Context) == MaxContext {
			omitted = true
			break
		}
		key := Scrub(k)
		if len(key) > MaxContextKey {
			key, omitted = cut(key, MaxContextKey), true
		}
		r.Context = append(r.Context, Field{Key: key, Value: v})
	}
	if omitted {
		r.Truncated = append(r.Truncated, "context")
	}
	return true
}

// Fingerprint identifies an error across browsers and page loads: a hash
// of the level, the message with its digits folded (ids and counts vary)
// and the stack's top frame (where it was thrown). It is 16 hex digits.
func Fingerprint(level Level, message, stack string) string {
	h := fnv.New64a()
	h.Write([]byte(level))
	h.Write([]byte{0})
	h.Write(foldDigits(cut(message, 256)))
	h.Write([]byte{0})
	h.Write([]byte(topFrame(message, stack)))
	return strconv.FormatUint(h.Sum64()|1<<63, 16)
}

// foldDigits writes every run of digits as one '0'.
func foldDigits(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			if len(out) > 0 && out[len(out)-1] == '0' && i > 0 && isDigit(s[i-1]) {
				continue
			}
			out = append(out, '0')
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// topFrame is the stack's first line that is not the message itself
// (Chrome repeats "TypeError: ..." first; Firefox and Safari do not).
func topFrame(message, stack string) string {
	for line := range strings.Lines(stack) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasSuffix(line, message) || strings.HasSuffix(message, line) {
			continue
		}
		return line
	}
	return ""
}
