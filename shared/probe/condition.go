package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxConditionLen bounds one condition's text; conditions come from
// configuration and are kept short so they stay readable in alerts.
const MaxConditionLen = 256

// maxPathSegments bounds how deep a condition may look into the body.
const maxPathSegments = 16

// Op is a comparison operator of the condition grammar.
type Op string

// The operators. Ordering operators accept number literals only.
const (
	Eq Op = "=="
	Ne Op = "!="
	Lt Op = "<"
	Le Op = "<="
	Gt Op = ">"
	Ge Op = ">="
)

// Condition is one check on a JSON response body, such as
// `status == "ok"` or `checks.dynamodb.latency_ms < 500`.
//
// Grammar (whitespace around the operator is optional):
//
//	condition := path op literal
//	path      := name ( "." name | "[" index "]" )*
//	name      := [A-Za-z_][A-Za-z0-9_-]*
//	op        := "==" | "!=" | "<" | "<=" | ">" | ">="
//	literal   := JSON string | JSON number | true | false | null
//
// Nothing is evaluated as code: a path only walks objects and arrays.
type Condition struct {
	path []segment
	op   Op
	lit  any // string, float64, bool or nil
	text string
}

type segment struct {
	name  string
	index int // -1 when name is used
}

// String returns the condition in canonical form (`path op literal`), which
// is what a result's failed_condition names.
func (c Condition) String() string { return c.text }

// MarshalText writes the canonical form, so a Condition encodes as a JSON string.
func (c Condition) MarshalText() ([]byte, error) { return []byte(c.text), nil }

// ParseCondition parses one condition. It returns an error saying what is
// wrong when s is empty, too long, or does not follow the grammar.
func ParseCondition(s string) (Condition, error) {
	if len(s) > MaxConditionLen {
		return Condition{}, fmt.Errorf("condition longer than %d characters", MaxConditionLen)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Condition{}, errors.New("condition is empty")
	}
	i := 0
	for i < len(s) && strings.IndexByte("=!<> \t", s[i]) < 0 {
		i++
	}
	pathText := s[:i]
	rest := strings.TrimLeft(s[i:], " \t")
	path, err := parsePath(pathText)
	if err != nil {
		return Condition{}, err
	}
	var op Op
	for _, cand := range []Op{Eq, Ne, Le, Ge, Lt, Gt} { // two-character operators first
		if strings.HasPrefix(rest, string(cand)) {
			op = cand
			break
		}
	}
	if op == "" {
		return Condition{}, fmt.Errorf("condition %q: expected one of == != < <= > >= after %q", s, pathText)
	}
	litText := strings.TrimSpace(rest[len(op):])
	lit, err := parseLiteral(litText)
	if err != nil {
		return Condition{}, fmt.Errorf("condition %q: %w", s, err)
	}
	if op != Eq && op != Ne {
		if _, ok := lit.(float64); !ok {
			return Condition{}, fmt.Errorf("condition %q: %s needs a number", s, op)
		}
	}
	canon, _ := json.Marshal(lit) // string, float64, bool or nil always encode
	return Condition{path: path, op: op, lit: lit, text: pathText + " " + string(op) + " " + string(canon)}, nil
}

func parsePath(p string) ([]segment, error) {
	if p == "" {
		return nil, errors.New("condition has no field name before the operator")
	}
	var segs []segment
	i := 0
	for i < len(p) {
		if len(segs) >= maxPathSegments {
			return nil, fmt.Errorf("field %q is nested deeper than %d", p, maxPathSegments)
		}
		switch {
		case p[i] == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field %q: unclosed [", p)
			}
			digits := p[i+1 : i+end]
			n, err := strconv.Atoi(digits)
			if err != nil || n < 0 || n > 9999 || digits == "" || digits[0] == '+' || digits[0] == '-' {
				return nil, fmt.Errorf("field %q: index must be a number from 0 to 9999", p)
			}
			segs = append(segs, segment{index: n})
			i += end + 1
		case p[i] == '.' && len(segs) > 0:
			i++
			fallthrough
		default:
			j := i
			for j < len(p) && isNameByte(p[j], j == i) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("field %q: expected a name at position %d", p, i)
			}
			segs = append(segs, segment{name: p[i:j], index: -1})
			i = j
		}
		if i < len(p) && p[i] != '.' && p[i] != '[' {
			return nil, fmt.Errorf("field %q: unexpected %q", p, p[i])
		}
		if i == len(p)-1 && p[i] == '.' {
			return nil, fmt.Errorf("field %q ends with a dot", p)
		}
	}
	return segs, nil
}

func isNameByte(b byte, first bool) bool {
	switch {
	case b == '_', b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
		return true
	case b >= '0' && b <= '9', b == '-':
		return !first
	}
	return false
}

func parseLiteral(s string) (any, error) {
	if s == "" {
		return nil, errors.New("missing value after the operator")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("value %q is not a JSON string, number, true, false or null", s)
	}
	if dec.More() || dec.InputOffset() != int64(len(s)) {
		return nil, fmt.Errorf("unexpected text after the value in %q", s)
	}
	switch x := v.(type) {
	case string, bool, nil:
		return x, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("number %q is out of range", s)
		}
		return f, nil
	}
	return nil, fmt.Errorf("value %q must be a string, number, true, false or null", s)
}

// Eval applies the condition to a decoded JSON body (as produced by
// DecodeBody). It reports whether the condition holds; a missing field or a
// value of another type does not hold.
func (c Condition) Eval(body any) bool {
	v, ok := lookup(body, c.path)
	if !ok {
		return false
	}
	switch lit := c.lit.(type) {
	case float64:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		if err != nil {
			return false
		}
		switch c.op {
		case Eq:
			return f == lit
		case Ne:
			return f != lit
		case Lt:
			return f < lit
		case Le:
			return f <= lit
		case Gt:
			return f > lit
		case Ge:
			return f >= lit
		}
		return false
	default:
		// Values of different dynamic types (a json.Number against a string,
		// an object against anything) compare unequal without panicking.
		eq := v == c.lit
		if c.op == Ne {
			return !eq
		}
		return eq
	}
}

func lookup(v any, path []segment) (any, bool) {
	for _, s := range path {
		if s.index >= 0 {
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			v = arr[s.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[s.name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// DecodeBody decodes a JSON response body for Eval, keeping numbers exact.
// It returns an error when b is not one JSON value.
func DecodeBody(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return nil, errors.New("body has data after the JSON value")
	}
	return v, nil
}
