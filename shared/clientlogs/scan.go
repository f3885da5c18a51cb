package clientlogs

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/levqor/serverless/shared/jsonstr"
)

// scanner reads a batch's JSON (RFC 8259) token by token, straight from the
// body, for the parser. It accepts and refuses what jsontext's Decoder
// does with AllowInvalidUTF8 (invalid UTF-8, a lone surrogate too, read as
// U+FFFD: browsers send them) and AllowDuplicateNames (the parser drops a
// record with a repeated name, not the batch), which
// FuzzScannerMatchesJsontext holds it to. It exists for speed: a full batch
// is about 1,500 tokens and 30 KB of strings, and jsontext's general
// decoder checks strings a byte at a time.
type scanner struct {
	s     string
	i     int
	ready bool   // s[i] starts the next token; its separator is read
	kind  byte   // that token's kind, when ready
	stack []byte // per open container, its state below
	top   byte   // the top level's state: stTop, then stDone
}

// A container's state, by what it has read.
const (
	stArrFirst = iota // '['
	stArrNext         // '[' and elements
	stObjFirst        // '{'
	stObjColon        // a name
	stObjNext         // a name and its value
	stTop             // nothing: the top level
	stDone            // the top-level value
)

// maxDepth is jsontext's nesting limit: deeper input is refused.
const maxDepth = 10000

var errSyntax = errors.New("clientlogs: not valid JSON")

// token is one token: its kind (PeekKind's), and for a scalar its value.
type token struct {
	kind byte
	str  string
	num  float64
	b    bool
}

// String is a string token's value.
func (t token) String() string { return t.str }

// Float is a number token's value.
func (t token) Float() float64 { return t.num }

// Bool is a true or false token's value.
func (t token) Bool() bool { return t.b }

func newScanner(s string) *scanner { return &scanner{s: s, top: stTop} }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *scanner) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// valueKind is the kind of the value starting at s[i], or 0.
func (p *scanner) valueKind() byte {
	if p.i >= len(p.s) {
		return 0
	}
	switch c := p.s[p.i]; {
	case c == '{' || c == '[' || c == '"' || c == 'n' || c == 't' || c == 'f':
		return c
	case c == '-' || c >= '0' && c <= '9':
		return '0'
	}
	return 0
}

// PeekKind reads up to the next token, past its separator, and returns its
// kind: '{', '}', '[', ']', '"', 'n', 't', 'f' or '0' (a number); 0 when
// there is none or the input is not valid JSON there.
func (p *scanner) PeekKind() byte {
	if p.ready {
		return p.kind
	}
	start := p.i
	p.skipSpace()
	k := byte(0)
	st := p.top
	if len(p.stack) > 0 {
		st = p.stack[len(p.stack)-1]
	}
	at := func(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }
	switch st {
	case stTop:
		k = p.valueKind()
	case stArrFirst, stArrNext:
		switch {
		case at(']'):
			k = ']'
		case st == stArrFirst:
			k = p.valueKind()
		case at(','):
			p.i++
			p.skipSpace()
			k = p.valueKind()
		}
	case stObjFirst, stObjNext:
		switch {
		case at('}'):
			k = '}'
		case st == stObjFirst:
			if at('"') {
				k = '"'
			}
		case at(','):
			p.i++
			p.skipSpace()
			if at('"') {
				k = '"'
			}
		}
	case stObjColon:
		if at(':') {
			p.i++
			p.skipSpace()
			k = p.valueKind()
		}
	}
	if k == 0 {
		p.i = start // nothing read: the next read reports the error
		return 0
	}
	p.ready, p.kind = true, k
	return k
}

// done notes a value read in the container (or at the top level).
func (p *scanner) done() {
	if len(p.stack) == 0 {
		p.top = stDone
		return
	}
	switch st := &p.stack[len(p.stack)-1]; *st {
	case stArrFirst:
		*st = stArrNext
	case stObjColon:
		*st = stObjNext
	}
}

// ReadToken reads the next token.
func (p *scanner) ReadToken() (token, error) {
	k := p.PeekKind()
	if k == 0 {
		return token{}, errSyntax
	}
	p.ready = false
	t := token{kind: k}
	switch k {
	case '{', '[':
		if len(p.stack) == maxDepth {
			return token{}, errSyntax
		}
		p.i++
		st := byte(stObjFirst)
		if k == '[' {
			st = stArrFirst
		}
		p.stack = append(p.stack, st)
		return t, nil
	case '}', ']':
		p.i++
		p.stack = p.stack[:len(p.stack)-1]
		p.done()
		return t, nil
	case '"':
		raw, f, err := p.str()
		if err != nil {
			return token{}, err
		}
		t.str = unquoteRaw(raw, f)
		p.noteString()
		return t, nil
	case '0':
		raw, err := p.number()
		if err != nil {
			return token{}, err
		}
		t.num = parseFloat(raw)
	default: // n, t, f
		for _, lit := range [...]string{"null", "true", "false"} {
			if lit[0] == k {
				if len(p.s)-p.i < len(lit) || p.s[p.i:p.i+len(lit)] != lit {
					return token{}, errSyntax
				}
				p.i += len(lit)
				t.b = k == 't'
			}
		}
	}
	p.done()
	return t, nil
}

// ReadValue reads the next value whole and returns its JSON text.
func (p *scanner) ReadValue() (string, error) {
	if p.PeekKind() == 0 {
		return "", errSyntax
	}
	start, depth := p.i, len(p.stack)
	for {
		if _, err := p.ReadToken(); err != nil {
			return "", err
		}
		if len(p.stack) == depth {
			return p.s[start:p.i], nil
		}
	}
}

// SkipValue reads past the next value.
func (p *scanner) SkipValue() error {
	_, err := p.ReadValue()
	return err
}

// StackDepth is how many containers are open.
func (p *scanner) StackDepth() int { return len(p.stack) }

// ReadString reads the next value, which must be a string, and returns it
// unquoted: a substring of the body when it has no escape and is valid
// UTF-8; invalid UTF-8 reads as U+FFFD.
func (p *scanner) ReadString() (string, error) {
	if p.PeekKind() != '"' {
		return "", errSyntax
	}
	raw, f, err := p.str()
	if err != nil {
		return "", err
	}
	p.ready = false
	p.noteString()
	return unquoteRaw(raw, f), nil
}

// noteString notes a string read: a name in an object, else a value.
func (p *scanner) noteString() {
	if n := len(p.stack); n > 0 && (p.stack[n-1] == stObjFirst || p.stack[n-1] == stObjNext) {
		p.stack[n-1] = stObjColon
		return
	}
	p.done()
}

// What str saw in a string literal.
const (
	strEscaped  = 1 << iota // a backslash escape
	strNonASCII             // a byte of 0x80 or more
)

// str reads the string literal at s[i] and returns it, quotes included,
// with what it saw in it. Strings are most of a batch, so plain ASCII is
// passed over eight bytes at a time (jsonstr.Special).
func (p *scanner) str() (string, int, error) {
	s, i, f := p.s, p.i+1, 0
	for {
		i = jsonstr.Special(s, i)
		if i >= len(s) {
			return "", 0, errSyntax // unterminated
		}
		switch c := s[i]; {
		case c == '"':
			raw := s[p.i : i+1]
			p.i = i + 1
			return raw, f, nil
		case c == '\\':
			f |= strEscaped
			if i+1 >= len(s) {
				return "", 0, errSyntax
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return "", 0, errSyntax
				}
				i += 6
			default:
				return "", 0, errSyntax
			}
		case c < 0x20:
			return "", 0, errSyntax
		default: // 0x80 and above: UTF-8, valid or not
			f |= strNonASCII
			i++
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' }

// unquoteRaw is the value of a string literal str has checked and
// flagged: the literal's own bytes unless it holds an escape or invalid
// UTF-8.
func unquoteRaw(raw string, f int) string {
	if f&strNonASCII != 0 && !utf8.ValidString(raw) {
		b, _ := jsontext.AppendUnquote(nil, raw) // invalid UTF-8 as U+FFFD, as jsontext reads it
		return string(b)
	}
	if f&strEscaped != 0 {
		return unquote(raw)
	}
	return raw[1 : len(raw)-1]
}

// number reads the JSON number at s[i] and returns its text.
func (p *scanner) number() (string, error) {
	s, i := p.s, p.i
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return "", errSyntax
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return "", errSyntax
		}
	}
	if i < len(s) && s[i]|0x20 == 'e' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return "", errSyntax
		}
	}
	raw := s[p.i:i]
	p.i = i
	return raw, nil
}

// parseFloat is jsontext's reading of a number: ±MaxFloat64 beyond range.
func parseFloat(raw string) float64 {
	f, _ := strconv.ParseFloat(raw, 64)
	switch {
	case math.IsInf(f, 1):
		return math.MaxFloat64
	case math.IsInf(f, -1):
		return -math.MaxFloat64
	}
	return f
}

// end reports whether nothing but whitespace follows the top-level value.
func (p *scanner) end() bool {
	p.skipSpace()
	return p.i == len(p.s)
}
