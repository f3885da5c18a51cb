package streammap

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Filter is one compiled FilterCriteria pattern, in the subset the template
// uses: nested objects whose leaves are arrays of exact strings or
// {"prefix": "..."}, matched against string values. Other EventBridge
// operators (numbers, exists, anything-but, suffix, ...) and leaves on a
// set or list attribute (SS, NS, BS, L: array values) are refused by
// ParseFilter with a clear message rather than emulated: the local stack
// emulates what the template uses.
type Filter struct {
	leaves []leaf
}

// leaf is one path of the pattern and the strings it accepts there.
type leaf struct {
	path            []string
	exact, prefixes []string
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
	f := &Filter{}
	if err := f.add(root, nil); err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w (the local stack emulates exact strings and prefix only)", pattern, err)
	}
	return f, nil
}

// add compiles node, the pattern's object at path, into leaves.
func (f *Filter) add(node map[string]any, path []string) error {
	if len(node) == 0 {
		return errors.New("empty object")
	}
	for key, v := range node {
		at := append(slices.Clip(path), key)
		name := strings.Join(at, ".")
		switch x := v.(type) {
		case map[string]any:
			if err := f.add(x, at); err != nil {
				return err
			}
		case []any:
			if len(x) == 0 {
				return fmt.Errorf("%s: empty array matches nothing", name)
			}
			if slices.Contains([]string{"SS", "NS", "BS", "L"}, key) {
				return fmt.Errorf("%s: matching the values of a set or list attribute is not emulated", name)
			}
			l := leaf{path: at}
			for _, m := range x {
				op, _ := m.(map[string]any)
				if s, ok := m.(string); ok {
					l.exact = append(l.exact, s)
				} else if p, ok := op["prefix"].(string); ok && len(op) == 1 {
					l.prefixes = append(l.prefixes, p)
				} else {
					return fmt.Errorf("%s: %v is neither a string nor {\"prefix\": string}", name, m)
				}
			}
			f.leaves = append(f.leaves, l)
		default:
			return fmt.Errorf("%s: want an object or an array of values", name)
		}
	}
	return nil
}

// Match reports whether event (a stream record as JSON) matches the
// pattern: the value at each leaf's path is a string the leaf accepts.
func (f *Filter) Match(event []byte) bool {
	var doc any
	if err := json.Unmarshal(event, &doc); err != nil {
		return false
	}
	for _, l := range f.leaves {
		v := doc
		for _, key := range l.path {
			obj, _ := v.(map[string]any)
			v = obj[key]
		}
		s, ok := v.(string)
		if !ok || !slices.Contains(l.exact, s) && !slices.ContainsFunc(l.prefixes, func(p string) bool { return strings.HasPrefix(s, p) }) {
			return false
		}
	}
	return true
}
