package jsonscan

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/levqor/serverless/shared/jsonstr"
)

// Scanner reads JSON (RFC 8259) token by token, straight from a string:
// strings without escapes are substrings of it, and plain ASCII is passed
// over eight bytes at a time. It accepts and refuses what jsontext's
// Decoder does with AllowInvalidUTF8 (invalid UTF-8, a lone surrogate too,
// reads as U+FFFD, as encoding/json reads it) and AllowDuplicateNames
// (names are the reader's business), which the tests hold it to. It
// exists for speed on the request path: the client-log batch, the HTTP API
// event and the ticket body are read with it rather than by reflection.
type Scanner struct {
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

// MaxDepth is jsontext's nesting limit (and encoding/json's): deeper
// input is refused.
const MaxDepth = 10000

// ErrSyntax is every read's error where the input is not valid JSON.
var ErrSyntax = errors.New("jsonscan: not valid JSON")

// Token is one token: its kind (PeekKind's), and for a scalar its value.
type Token struct {
	Kind byte
	Str  string  // a string's value
	Num  float64 // a number's value, ±math.MaxFloat64 beyond range (as jsontext)
	True bool    // true for the literal true
}

// New returns a Scanner reading s.
func New(s string) *Scanner { return &Scanner{s: s, top: stTop} }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *Scanner) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// valueKind is the kind of the value starting at s[i], or 0.
func (p *Scanner) valueKind() byte {
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
func (p *Scanner) PeekKind() byte {
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
func (p *Scanner) done() {
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

// ReadToken reads the next token. It returns ErrSyntax where the input is
// not valid JSON, or nests deeper than 10,000.
func (p *Scanner) ReadToken() (Token, error) {
	k := p.PeekKind()
	if k == 0 {
		return Token{}, ErrSyntax
	}
	p.ready = false
	t := Token{Kind: k}
	switch k {
	case '{', '[':
		if len(p.stack) == MaxDepth {
			return Token{}, ErrSyntax
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
			return Token{}, err
		}
		t.Str = unquoteRaw(raw, f)
		p.noteString()
		return t, nil
	case '0':
		raw, err := p.number()
		if err != nil {
			return Token{}, err
		}
		t.Num = parseFloat(raw)
	default: // n, t, f
		for _, lit := range [...]string{"null", "true", "false"} {
			if lit[0] == k {
				if len(p.s)-p.i < len(lit) || p.s[p.i:p.i+len(lit)] != lit {
					return Token{}, ErrSyntax
				}
				p.i += len(lit)
				t.True = k == 't'
			}
		}
	}
	p.done()
	return t, nil
}

// ReadValue reads the next value whole and returns its JSON text, or
// ErrSyntax.
func (p *Scanner) ReadValue() (string, error) {
	if k := p.PeekKind(); k == 0 || k == ']' || k == '}' { // no value there: its container ends
		return "", ErrSyntax
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

// SkipValue reads past the next value; it returns ErrSyntax as ReadValue.
func (p *Scanner) SkipValue() error {
	_, err := p.ReadValue()
	return err
}

// Offset is how many bytes have been read: after an error, where the input
// stops being valid JSON.
func (p *Scanner) Offset() int { return p.i }

// StackDepth is how many containers are open.
func (p *Scanner) StackDepth() int { return len(p.stack) }

// ReadString reads the next value, which must be a string, and returns it
// unquoted: a substring of the body when it has no escape and is valid
// UTF-8; invalid UTF-8 reads as U+FFFD.
func (p *Scanner) ReadString() (string, error) {
	if p.PeekKind() != '"' {
		return "", ErrSyntax
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
func (p *Scanner) noteString() {
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
// with what it saw in it. Strings are most of the input, so plain ASCII is
// passed over eight bytes at a time (jsonstr.Special).
func (p *Scanner) str() (string, int, error) {
	s, i, f := p.s, p.i+1, 0
	for {
		i = jsonstr.Special(s, i)
		if i >= len(s) {
			return "", 0, ErrSyntax // unterminated
		}
		switch c := s[i]; {
		case c == '"':
			raw := s[p.i : i+1]
			p.i = i + 1
			return raw, f, nil
		case c == '\\':
			f |= strEscaped
			if i+1 >= len(s) {
				return "", 0, ErrSyntax
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return "", 0, ErrSyntax
				}
				i += 6
			default:
				return "", 0, ErrSyntax
			}
		case c < 0x20:
			return "", 0, ErrSyntax
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
	s := raw[1 : len(raw)-1]
	if f&strNonASCII != 0 && !utf8.ValidString(s) {
		s = validUTF8(s)
	}
	if f&strEscaped != 0 {
		return unquote(s)
	}
	return s
}

// validUTF8 is s with each byte that is not part of a UTF-8 sequence
// replaced by U+FFFD, as jsontext and encoding/json read it.
func validUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(r)
		} else {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// unquote returns the value of s, the checked content of a string literal.
// A stack is a line per frame, so "\n" every few dozen bytes: the text
// between escapes is copied whole and the result built in place.
func unquote(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '\\')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		c := s[i+1]
		switch c {
		case 'n':
			c = '\n'
		case 't':
			c = '\t'
		case 'r':
			c = '\r'
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'u':
			r, n := unicodeEscape(s[i:])
			b.WriteRune(r)
			s = s[i+n:]
			continue
		} // '"', '\\' and '/' stand for themselves
		b.WriteByte(c)
		s = s[i+2:]
	}
}

// unicodeEscape reads the \uXXXX at the start of s, or the surrogate pair
// \uXXXX\uXXXX, returning the rune (U+FFFD for a lone surrogate, as
// AllowInvalidUTF8 has it) and the bytes read.
func unicodeEscape(s string) (rune, int) {
	r := hex4(s[2:6])
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if pair := utf16.DecodeRune(r, hex4(s[8:12])); pair != utf8.RuneError {
			return pair, 12
		}
	}
	return utf8.RuneError, 6
}

// hex4 is the value of four hex digits, which str has checked.
func hex4(h string) rune {
	var r rune
	for _, c := range []byte(h) {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads the JSON number at s[i] and returns its text.
func (p *Scanner) number() (string, error) {
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
		return "", ErrSyntax
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return "", ErrSyntax
		}
	}
	if i < len(s) && s[i]|0x20 == 'e' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return "", ErrSyntax
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

// End reports whether nothing but whitespace follows the top-level value.
func (p *Scanner) End() bool {
	p.skipSpace()
	return p.i == len(p.s)
}
