package streammap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Filter is one compiled FilterCriteria pattern: the event-filtering
// subset of EventBridge pattern syntax that Lambda event source mappings
// accept. Supported: nested objects, arrays of exact values (strings,
// numbers, booleans, null), and the operators prefix, suffix, exists,
// anything-but (values or prefix) and equals-ignore-case.
type Filter struct {
	root map[string]any
}

// ParseFilter compiles pattern. It returns an error when the pattern is not
// a JSON object, a leaf is not an array of values or operators, or an
// operator is unknown or malformed — as CreateEventSourceMapping would.
func ParseFilter(pattern string) (*Filter, error) {
	var root map[string]any
	dec := json.NewDecoder(strings.NewReader(pattern))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, fmt.Errorf("filter pattern is not a JSON object: %q", pattern)
	}
	if dec.More() {
		return nil, fmt.Errorf("filter pattern has trailing data: %q", pattern)
	}
	if err := validate(root, 0); err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w", pattern, err)
	}
	return &Filter{root: root}, nil
}

// maxDepth bounds nesting so that hostile patterns cannot recurse deeply.
const maxDepth = 16

func validate(node map[string]any, depth int) error {
	if depth > maxDepth {
		return errors.New("nested too deeply")
	}
	if len(node) == 0 {
		return errors.New("empty object")
	}
	for key, v := range node {
		switch x := v.(type) {
		case map[string]any:
			if err := validate(x, depth+1); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		case []any:
			if len(x) == 0 {
				return fmt.Errorf("%s: empty array matches nothing", key)
			}
			for _, m := range x {
				if err := validateMatcher(m); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
			}
		default:
			return fmt.Errorf("%s: a leaf must be an array of values, got %T", key, v)
		}
	}
	return nil
}

func validateMatcher(m any) error {
	op, ok := m.(map[string]any)
	if !ok {
		switch m.(type) {
		case string, json.Number, bool, nil:
			return nil
		}
		return fmt.Errorf("value %v is not a string, number, boolean or null", m)
	}
	if len(op) != 1 {
		return errors.New("an operator object holds exactly one operator")
	}
	for name, arg := range op {
		switch name {
		case "prefix", "suffix", "equals-ignore-case":
			if _, ok := arg.(string); !ok {
				return fmt.Errorf("%s takes a string", name)
			}
		case "exists":
			if _, ok := arg.(bool); !ok {
				return errors.New("exists takes a boolean")
			}
		case "anything-but":
			switch a := arg.(type) {
			case string, json.Number, bool:
			case []any:
				for _, v := range a {
					switch v.(type) {
					case string, json.Number:
					default:
						return errors.New("anything-but list holds strings or numbers")
					}
				}
			case map[string]any:
				p, ok := a["prefix"].(string)
				if len(a) != 1 || !ok || p == "" {
					return errors.New(`anything-but object must be {"prefix": "..."}`)
				}
			default:
				return errors.New("anything-but takes a value, a list or {prefix}")
			}
		default:
			return fmt.Errorf("operator %q is not supported locally", name)
		}
	}
	return nil
}

// Match reports whether event (a JSON document) matches the filter. A
// document that is not a JSON object matches nothing.
func (f *Filter) Match(event []byte) bool {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(event)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return false
	}
	return matchObject(f.root, doc)
}

func matchObject(pattern, doc map[string]any) bool {
	for key, p := range pattern {
		v, present := doc[key]
		switch x := p.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matchObject(x, sub) {
				return false
			}
		case []any:
			if !matchAny(x, v, present) {
				return false
			}
		}
	}
	return true
}

// matchAny reports whether the value (present or not) satisfies one of the
// matchers. An array value matches when any of its elements does.
func matchAny(matchers []any, v any, present bool) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, m := range matchers {
		if op, ok := m.(map[string]any); ok {
			if e, isExists := op["exists"].(bool); isExists {
				if e == present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, val := range values {
			if matchOne(m, val) {
				return true
			}
		}
	}
	return false
}

func matchOne(m, v any) bool {
	op, ok := m.(map[string]any)
	if !ok {
		return equal(m, v)
	}
	s, isString := v.(string)
	for name, arg := range op {
		switch name {
		case "prefix":
			return isString && strings.HasPrefix(s, arg.(string))
		case "suffix":
			return isString && strings.HasSuffix(s, arg.(string))
		case "equals-ignore-case":
			return isString && strings.EqualFold(s, arg.(string))
		case "anything-but":
			switch a := arg.(type) {
			case []any:
				for _, x := range a {
					if equal(x, v) {
						return false
					}
				}
				return true
			case map[string]any:
				return isString && !strings.HasPrefix(s, a["prefix"].(string))
			default:
				return !equal(a, v)
			}
		}
	}
	return false
}

// equal compares pattern and document values; numbers compare numerically.
func equal(a, b any) bool {
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum && bNum {
		af, err1 := an.Float64()
		bf, err2 := bn.Float64()
		return err1 == nil && err2 == nil && af == bf
	}
	return a == b
}
