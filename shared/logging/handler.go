package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/levqor/serverless/shared/jsonstr"
)

// handler writes slog records as the lines slog.JSONHandler writes, with
// the SPEC's key names (timestamp, level in lower case, message) and the
// redacted keys dropped. It is its own handler rather than JSONHandler
// with a ReplaceAttr because the client-log function writes up to 50
// lines of stacks per request: JSONHandler spends most of its time in
// per-attribute calls and a byte-at-a-time escaper, and this one in
// neither. TestHandlerMatchesJSONHandler holds it to JSONHandler's output.
type handler struct {
	w     io.Writer
	mu    *sync.Mutex // shared by the handlers derived by With…
	level slog.Leveler
	// prefix is the attributes of WithAttrs, formatted, each followed by
	// a comma, with the groups opened before them.
	prefix []byte
	groups []string // every open group, from WithGroup
	opened int      // groups[:opened] are opened in prefix
	hidden bool     // a group is redacted: nothing more is written
}

func newHandler(w io.Writer, level slog.Leveler) *handler {
	return &handler{w: w, mu: new(sync.Mutex), level: level}
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *handler) clone() *handler {
	c := *h
	c.prefix = bytes.Clone(h.prefix)
	c.groups = h.groups[:len(h.groups):len(h.groups)]
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := h.clone()
	c.groups = append(c.groups, name)
	c.hidden = c.hidden || Redacted(name)
	return c
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	c := h.clone()
	if c.hidden {
		return c
	}
	pos := len(c.prefix)
	c.prefix = c.openGroups(c.prefix)
	wrote := false
	for _, a := range as {
		var ok bool
		if c.prefix, ok = appendAttr(c.prefix, a); ok {
			c.prefix = append(c.prefix, ',')
			wrote = true
		}
	}
	if !wrote {
		c.prefix = c.prefix[:pos]
		return c
	}
	c.opened = len(c.groups)
	return c
}

// openGroups appends the groups not yet opened in the prefix.
func (h *handler) openGroups(b []byte) []byte {
	for _, g := range h.groups[h.opened:] {
		b = appendString(b, g)
		b = append(b, ':', '{')
	}
	return b
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	bp := buffers.Get().(*[]byte)
	b := append((*bp)[:0], '{')
	if !r.Time.IsZero() {
		b = append(b, `"timestamp":`...)
		b = appendTime(b, r.Time.Round(0))
		b = append(b, ',')
	}
	b = append(b, `"level":`...)
	b = appendString(b, levelName(r.Level))
	b = append(b, `,"message":`...)
	b = appendString(b, r.Message)
	b = append(b, ',')
	b = append(b, h.prefix...)
	opened := h.opened
	if r.NumAttrs() > 0 && !h.hidden {
		pos := len(b)
		b = h.openGroups(b)
		empty := true
		r.Attrs(func(a slog.Attr) bool {
			var ok bool
			if b, ok = appendAttr(b, a); ok {
				b = append(b, ',')
				empty = false
			}
			return true
		})
		if empty {
			b = b[:pos]
		} else {
			opened = len(h.groups)
		}
	}
	b = closeObject(b, opened+1)
	b = append(b, '\n')
	h.mu.Lock()
	_, err := h.w.Write(b)
	h.mu.Unlock()
	if cap(b) <= 64<<10 { // a line with a huge stack is not kept
		*bp = b
		buffers.Put(bp)
	}
	return err
}

// closeObject replaces the comma after the last member, or appends after
// the '{' of an empty object, the n closing braces.
func closeObject(b []byte, n int) []byte {
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	for range n {
		b = append(b, '}')
	}
	return b
}

// appendAttr appends `"key":value`, reporting false (and appending
// nothing) for an empty attribute, an empty group, a redacted key or a
// group left empty by its redacted keys.
func appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindAny {
		switch v := a.Value.Any().(type) {
		case nil:
			if a.Key == "" {
				return b, false // the zero Attr
			}
		case *slog.Source: // as JSONHandler writes one: its non-zero fields, if any
			if v == nil || *v == (slog.Source{}) {
				return b, false
			}
			a.Value = sourceGroup(v)
		}
	}
	if a.Value.Kind() != slog.KindGroup {
		if Redacted(a.Key) {
			return b, false
		}
		b = appendString(b, a.Key)
		b = append(b, ':')
		return appendValue(b, a.Value), true
	}
	as := a.Value.Group()
	if len(as) == 0 || a.Key != "" && Redacted(a.Key) {
		return b, false
	}
	pos := len(b)
	if a.Key != "" { // a group without a key is inlined
		b = appendString(b, a.Key)
		b = append(b, ':', '{')
	}
	empty := true
	for _, m := range as {
		var ok bool
		if b, ok = appendAttr(b, m); ok {
			b = append(b, ',')
			empty = false
		}
	}
	if empty {
		return b[:pos], false
	}
	if a.Key == "" {
		return b[:len(b)-1], true
	}
	return closeObject(b, 1), true
}

// sourceGroup is JSONHandler's group for a source location.
func sourceGroup(s *slog.Source) slog.Value {
	var as []slog.Attr
	if s.Function != "" {
		as = append(as, slog.String("function", s.Function))
	}
	if s.File != "" {
		as = append(as, slog.String("file", s.File))
	}
	if s.Line != 0 {
		as = append(as, slog.Int("line", s.Line))
	}
	return slog.GroupValue(as...)
}

// appendValue appends v as JSONHandler does: floats, durations and
// anything else as encoding/json would, errors by their text, and a value
// encoding/json refuses as the "!ERROR:…" string JSONHandler writes.
func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		if f := v.Float64(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return appendFloat(b, f)
		}
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindTime:
		return appendTime(b, v.Time())
	}
	return appendAny(b, v.Any())
}

// appendAny appends an error's text, else encoding/json's encoding of v
// without HTML escapes. A method of v that panics is written as
// JSONHandler writes it: "<nil>" for a nil pointer, else "!PANIC: …".
func appendAny(b []byte, v any) (out []byte) {
	pos := len(b)
	defer func() {
		if r := recover(); r != nil {
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
				out = appendString(b[:pos], "<nil>")
			} else {
				out = appendString(b[:pos], fmt.Sprintf("!PANIC: %v", r))
			}
		}
	}()
	if err, ok := v.(error); ok {
		if _, marshals := v.(json.Marshaler); !marshals {
			return appendString(b, err.Error())
		}
	}
	var bb bytes.Buffer
	enc := json.NewEncoder(&bb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return appendString(b, "!ERROR:"+err.Error())
	}
	return append(b, bytes.TrimSuffix(bb.Bytes(), []byte("\n"))...)
}

// appendFloat is encoding/json's float format: %f, or %e for very large
// and very small magnitudes with a one-digit exponent as short as it goes.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1] // e-09 to e-9
		b = b[:n-1]
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y >= 10000 {
		return appendString(b, "!ERROR:time.Time year outside of range [0,9999]")
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString appends s quoted as JSONHandler quotes it: control bytes,
// '"' and '\\' escaped, invalid UTF-8 as \ufffd, and U+2028 and U+2029
// escaped (they end a line in JavaScript). Plain ASCII, most of any line,
// is passed over eight bytes at a time (jsonstr.Special) and copied whole.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = jsonstr.Special(s, i); i == len(s) {
			break
		}
		// s[i] is to escape, or the start of a multi-byte sequence.
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hex = "0123456789abcdef"

// levelName is a level's lower-case name ("info", "warn+2").
func levelName(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "debug"
	case slog.LevelInfo:
		return "info"
	case slog.LevelWarn:
		return "warn"
	case slog.LevelError:
		return "error"
	}
	return strings.ToLower(l.String())
}
