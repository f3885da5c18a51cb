package streammap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Filter is one compiled FilterCriteria pattern, in the subset the template
// uses: nested objects whose leaves are arrays of exact strings or
// {"prefix": "..."}. Other EventBridge operators (numbers, exists,
// anything-but, suffix, ...) are refused by ParseFilter with a clear
// message rather than emulated: the local stack emulates what the template
// uses.
type Filter struct {
	root map[string]any
}

// ParseFilter compiles pattern. It returns an error when the pattern is not
// a JSON object, a leaf is not an array of strings or prefix operators, or
// it uses anything else.
func ParseFilter(pattern string) (*Filter, error) {
	var root map[string]any
	dec := json.NewDecoder(strings.NewReader(pattern))
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, fmt.Errorf("filter pattern is not a JSON object: %q", pattern)
	}
	if dec.More() {
		return nil, fmt.Errorf("filter pattern has trailing data: %q", pattern)
	}
	if err := validate(root, 0); err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w (the local stack emulates exact strings and prefix only)", pattern, err)
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
				if _, ok := m.(string); ok {
					continue
				}
				if op, ok := m.(map[string]any); !ok || len(op) != 1 || !isString(op["prefix"]) {
					return fmt.Errorf("%s: %v is neither a string nor {\"prefix\": string}", key, m)
				}
			}
		default:
			return fmt.Errorf("%s: want an object or an array of values", key)
		}
	}
	return nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

// Match reports whether event (a stream record as JSON) matches the pattern.
func (f *Filter) Match(event []byte) bool {
	var doc map[string]any
	if err := json.Unmarshal(event, &doc); err != nil {
		return false
	}
	return matchObject(f.root, doc)
}

func matchObject(pattern, doc map[string]any) bool {
	for key, p := range pattern {
		v := doc[key]
		switch x := p.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matchObject(x, sub) {
				return false
			}
		case []any:
			if !matchAny(x, v) {
				return false
			}
		}
	}
	return true
}

// matchAny reports whether the value satisfies one of the matchers; an
// array value matches when any of its elements does.
func matchAny(matchers []any, v any) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, m := range matchers {
		for _, val := range values {
			s, ok := val.(string)
			if !ok {
				continue
			}
			if want, exact := m.(string); exact && s == want ||
				!exact && strings.HasPrefix(s, m.(map[string]any)["prefix"].(string)) {
				return true
			}
		}
	}
	return false
}
