// Package clientlogs is the browser half of the observability layer: the
// batch the site's logger (functions/clientlogs/logger) sends, its limits,
// the scrubbing every string gets before anything is logged, the error
// fingerprint, and the alerting of new client errors.
package clientlogs

import (
	"errors"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/levqor/serverless/shared/jsonscan"
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

// Field is one context value: a string, a float64 or a bool, held as a
// slog.Value, which holds them without an allocation and is what the log
// line takes.
type Field struct {
	Key   string
	Value slog.Value
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

// Parse reads a batch (README, "Client logs"). It returns a
// *problem.Error: TooLarge when the body exceeds MaxBatchBytes or holds
// more than MaxRecords records, MalformedJSON when it is not JSON, and
// Validation when it is not an object with a "records" array. Inside a
// valid batch a malformed record is dropped and counted, never an error.
// Every string of an accepted record is scrubbed (Scrub) before it is cut
// to its limit, so a cut never leaves half an address behind.
//
// It reads the body in one pass (jsonscan), without reflection: the batch
// is on the request path, and a page's unload waits on it.
func Parse(body string) (Batch, error) {
	if len(body) > MaxBatchBytes {
		return Batch{}, problem.Newf(problem.TooLarge, "a batch may be at most %d bytes", MaxBatchBytes)
	}
	return parse(jsonscan.New(body))
}

// parse is Parse over any tokenizer: the tests run it over jsontext's
// Decoder too, to hold jsonscan to it.
func parse(dec tokenizer) (Batch, error) {
	p := parser{dec: dec, fields: make([]Field, 0, 32)}
	b, err := p.batch()
	if err == nil && !p.dec.End() {
		err = errTrailing // the object must be the whole body
	}
	var invalid *problem.Error
	switch {
	case errors.As(err, &invalid):
		return Batch{}, err
	case err != nil:
		return Batch{}, problem.New(problem.MalformedJSON, "the batch is not valid JSON")
	}
	return b, nil
}

// tokenizer is what the parser reads a batch with: jsonscan.Scanner, whose
// methods say what each does.
type tokenizer interface {
	PeekKind() byte
	ReadToken() (jsonscan.Token, error)
	ReadValue() (string, error)
	ReadString() (string, error)
	SkipValue() error
	StackDepth() int
	End() bool
}

var errTrailing = errors.New("data after the batch")

var errNotBatch = problem.Invalid("records", "invalid", "the batch must be a JSON object with a records array")

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

type parser struct {
	dec tokenizer
	// fields backs every record's context: one array for the batch
	// rather than a few growing ones per record.
	fields []Field
}

// readString reads a string value (the next value must be one).
func (p *parser) readString() (string, error) { return p.dec.ReadString() }

// wire is one record as sent, before its checks.
type wire struct {
	level, message, url, stack, release, session string
	ts                                           float64
	hasTS, badType, badContext                   bool
	context                                      []Field
	contextCut                                   bool
}

func (p *parser) batch() (Batch, error) {
	if p.dec.PeekKind() != '{' {
		if _, err := p.dec.ReadToken(); err != nil {
			return Batch{}, err
		}
		return Batch{}, errNotBatch
	}
	if _, err := p.dec.ReadToken(); err != nil {
		return Batch{}, err
	}
	var b Batch
	wires := make([]wire, 0, MaxRecords) // grown once rather than six times for a full batch
	var release, session string
	seen := false
	for p.dec.PeekKind() != '}' {
		tok, err := p.dec.ReadToken()
		if err != nil {
			return Batch{}, err
		}
		name := tok.Str // a Token is valid only until the next read
		switch name {
		case "records":
			if seen || p.dec.PeekKind() != '[' {
				return Batch{}, p.refuse(errNotBatch)
			}
			seen = true
			p.dec.ReadToken()
			for p.dec.PeekKind() != ']' {
				if len(wires) == MaxRecords {
					return Batch{}, p.refuse(problem.Newf(problem.TooLarge, "a batch may hold at most %d records", MaxRecords))
				}
				w, err := p.record()
				if err != nil {
					return Batch{}, err
				}
				wires = append(wires, w)
			}
			if _, err := p.dec.ReadToken(); err != nil {
				return Batch{}, err
			}
		case "release", "session":
			v, ok, err := p.str()
			if err != nil {
				return Batch{}, err
			}
			if !ok {
				return Batch{}, p.refuse(problem.Invalid(name, "invalid", name+" must be a string"))
			}
			if name == "release" {
				release = v
			} else {
				session = v
			}
		default:
			if err := p.dec.SkipValue(); err != nil {
				return Batch{}, err
			}
		}
	}
	if _, err := p.dec.ReadToken(); err != nil {
		return Batch{}, err
	}
	if !seen {
		return Batch{}, problem.Invalid("records", "required", "the batch must have a records array")
	}
	// The batch's own tags are scrubbed once, not once per record.
	release, session = Scrub(release), Scrub(session)
	b.Records = make([]Record, 0, len(wires))
	for _, w := range wires {
		r, reason := w.check(release, session)
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

// refuse returns err, or the syntax error when the rest of the body is not
// JSON: a body that is not JSON at all is malformed before it is invalid.
func (p *parser) refuse(err error) error {
	for p.dec.StackDepth() > 0 {
		if p.dec.PeekKind() == 0 {
			_, serr := p.dec.ReadToken()
			return serr
		}
		if _, serr := p.dec.ReadToken(); serr != nil {
			return serr
		}
	}
	return err
}

// str reads a string value; a value of another kind is skipped and ok is
// false (null reads as "", true).
func (p *parser) str() (string, bool, error) {
	switch p.dec.PeekKind() {
	case '"':
		v, err := p.readString()
		return v, err == nil, err
	case 'n':
		return "", true, p.dec.SkipValue()
	}
	return "", false, p.dec.SkipValue()
}

// record reads one element of records. Only a syntax error is an error: a
// value that is not a well-typed record is read past and marked.
func (p *parser) record() (wire, error) {
	var w wire
	if p.dec.PeekKind() != '{' {
		w.badType = true
		return w, p.dec.SkipValue()
	}
	p.dec.ReadToken()
	var seen uint8
	for p.dec.PeekKind() != '}' {
		// The name as sent, quotes included: compared without a copy (a
		// name written with escapes is an unknown one).
		name, err := p.dec.ReadValue()
		if err != nil {
			return w, err
		}
		var dst *string
		var bit uint8
		switch name {
		case `"level"`:
			dst, bit = &w.level, 1
		case `"message"`:
			dst, bit = &w.message, 2
		case `"url"`:
			dst, bit = &w.url, 4
		case `"stack"`:
			dst, bit = &w.stack, 8
		case `"release"`:
			dst, bit = &w.release, 16
		case `"session"`:
			dst, bit = &w.session, 32
		case `"ts"`:
			bit = 64
			switch p.dec.PeekKind() {
			case '0':
				t, err := p.dec.ReadToken()
				if err != nil {
					return w, err
				}
				w.ts, w.hasTS = t.Num, true
			case 'n':
				err = p.dec.SkipValue()
			default:
				w.badType, err = true, p.dec.SkipValue()
			}
		case `"context"`:
			bit = 128
			err = p.context(&w)
		default:
			err = p.dec.SkipValue()
		}
		if err != nil {
			return w, err
		}
		if seen&bit != 0 {
			w.badType = true // a duplicate name: which one counts is ambiguous
		}
		seen |= bit
		if dst != nil {
			v, ok, err := p.str()
			if err != nil {
				return w, err
			}
			*dst, w.badType = v, w.badType || !ok
		}
	}
	_, err := p.dec.ReadToken()
	return w, err
}

// context reads the context object: at most MaxContext string, number or
// boolean values in the order sent; others are read past and noted.
func (p *parser) context(w *wire) error {
	switch p.dec.PeekKind() {
	case 'n':
		return p.dec.SkipValue()
	case '{':
	default:
		w.badContext = true
		return p.dec.SkipValue()
	}
	p.dec.ReadToken()
	start := len(p.fields)
	defer func() { w.context = p.fields[start:len(p.fields):len(p.fields)] }()
	for p.dec.PeekKind() != '}' {
		key, err := p.readString()
		if err != nil {
			return err
		}
		kind := p.dec.PeekKind()
		if len(p.fields)-start == MaxContext || kind != '"' && kind != '0' && kind != 't' && kind != 'f' {
			w.contextCut = true
			if err := p.dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		var v slog.Value
		if kind == '"' {
			str, err := p.readString()
			if err != nil {
				return err
			}
			v = slog.StringValue(str)
		} else {
			t, err := p.dec.ReadToken()
			if err != nil {
				return err
			}
			if kind == '0' {
				v = slog.Float64Value(t.Num)
			} else {
				v = slog.BoolValue(t.True)
			}
		}
		p.fields = append(p.fields, Field{Key: key, Value: v})
	}
	_, err := p.dec.ReadToken()
	return err
}

// check turns a record as sent into an accepted one, or says why not;
// release and session are the batch's, scrubbed.
func (w *wire) check(release, session string) (Record, string) {
	switch {
	case w.badType:
		return Record{}, DropMalformed
	case w.badContext:
		return Record{}, DropContext
	}
	r := Record{Level: Level(w.level)}
	switch r.Level {
	case Error, Warn, Info:
	default:
		return Record{}, DropLevel
	}
	if strings.TrimSpace(w.message) == "" {
		return Record{}, DropMessage
	}
	if !w.hasTS || math.IsNaN(w.ts) || w.ts <= 0 || w.ts > maxTS {
		return Record{}, DropTime
	}
	r.Time = time.UnixMilli(int64(w.ts)).UTC()
	r.Message = r.field("message", w.message, MaxMessageBytes)
	r.Stack = r.field("stack", w.stack, MaxStackBytes)
	r.URL = r.limit("url", PageURL(w.url), MaxURLBytes) // PageURL scrubs
	r.Release = r.tag("release", w.release, release)
	r.Session = r.tag("session", w.session, session)
	r.context(w.context, w.contextCut)
	r.Fingerprint = Fingerprint(r.Level, r.Message, r.Stack)
	return r, ""
}

// field scrubs v and cuts it to limit bytes, noting the cut.
func (r *Record) field(name, v string, limit int) string {
	if v == "" {
		return ""
	}
	return r.limit(name, Scrub(v), limit)
}

// tag is the record's own release or session id, scrubbed and cut, or
// else the batch's (scrubbed already), cut.
func (r *Record) tag(name, own, batch string) string {
	if own == "" {
		return r.limit(name, batch, MaxTagBytes)
	}
	return r.field(name, own, MaxTagBytes)
}

// limit cuts v to limit bytes, noting the cut.
func (r *Record) limit(name, v string, limit int) string {
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

// context keeps the fields scrubbed and cut, sorted by key, noting in
// Truncated when some were left out or cut.
func (r *Record) context(fields []Field, omitted bool) {
	for i := range fields {
		f := &fields[i]
		f.Key = Scrub(f.Key)
		if len(f.Key) > MaxContextKey {
			f.Key, omitted = cut(f.Key, MaxContextKey), true
		}
		switch f.Value.Kind() {
		case slog.KindString:
			v := Scrub(f.Value.String())
			if len(v) > MaxContextValue {
				v, omitted = cut(v, MaxContextValue), true
			}
			f.Value = slog.StringValue(v)
		case slog.KindFloat64:
			// A number of card or phone length is one.
			if math.Abs(f.Value.Float64()) >= math.Pow10(minDigits-1) {
				f.Value = slog.StringValue(RedactedNumber)
			}
		}
		if secretKey(f.Key) {
			f.Value = slog.StringValue(RedactedValue)
		}
	}
	// Sorted by key, the last of a repeated key kept (as JSON readers do).
	slices.SortStableFunc(fields, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	out := fields[:0]
	for i, f := range fields {
		if i+1 < len(fields) && fields[i+1].Key == f.Key {
			continue
		}
		out = append(out, f)
	}
	r.Context = out
	if omitted {
		r.Truncated = append(r.Truncated, "context")
	}
}

// secretKey reports a context key holding one of secretWords anywhere
// (ignoring case; a three-letter word where a word starts), without
// lowering a copy unless the key holds non-ASCII: it runs for every
// context key, and "to\u212Aen" (a Kelvin sign) folds to "token".
func secretKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			k = strings.ToLower(strings.ToUpper(k)) // "ſ" to "S" to "s", "K" (Kelvin) to "k"
			break
		}
	}
	for i := 0; i < len(k); i++ {
		for _, w := range secretByFirst[k[i]] {
			if len(k)-i >= len(w) && asciiEqualFold(k[i:i+len(w)], w) && (len(w) > 3 || wordStartsAt(k, i)) {
				return true
			}
		}
	}
	return false
}

// secretByFirst lists secretWords by their first byte, in either case.
var secretByFirst = func() (t [256][]string) {
	for _, w := range secretWords {
		t[w.word[0]] = append(t[w.word[0]], w.word)
		t[w.word[0]-'a'+'A'] = append(t[w.word[0]-'a'+'A'], w.word)
	}
	return t
}()

// Fingerprint identifies an error across browsers and page loads: a hash
// of the level, the message with its digits folded (ids and counts vary)
// and the stack's top frame (where it was thrown). It is 16 hex digits.
func Fingerprint(level Level, message, stack string) string {
	h := fnv1a(offset64, string(level))
	h = fnv1a(h, "\x00")
	m := cut(message, 256)
	for i := 0; i < len(m); i++ {
		if isDigit(m[i]) && i > 0 && isDigit(m[i-1]) {
			continue // a run of digits counts as one '0'
		}
		c := m[i]
		if isDigit(c) {
			c = '0'
		}
		h = (h ^ uint64(c)) * prime64
	}
	h = fnv1a(h, "\x00")
	h = fnv1a(h, topFrame(message, stack))
	return strconv.FormatUint(h|1<<63, 16)
}

// FNV-1a, 64 bits (hash/fnv's, inlined: no allocation per call).
const (
	offset64 = 14695981039346656037
	prime64  = 1099511628211
)

func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime64
	}
	return h
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
