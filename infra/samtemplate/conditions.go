package samtemplate

import (
	"errors"
	"fmt"
)

// Conditions are evaluated here rather than with goformation's
// ProcessorOptions.EvaluateConditions, which gets this template wrong in two
// ways: its Fn::Equals compares with reflect.DeepEqual, so a Number
// parameter's default 0 never equals "0" (CloudFormation compares the
// string values), and it replaces any map holding a string "Condition" key
// with that condition's value, so a resource with a Condition attribute
// turns into a bare true or false.

// evalConditions evaluates every condition of the raw Conditions section
// from parameter values alone (Fn::Equals, Fn::Not, Fn::And, Fn::Or and
// Condition references; Ref to a parameter or pseudo parameter; literals).
// It returns an error naming the condition that uses anything else, refers
// to an unknown parameter or condition, or refers to itself.
func evalConditions(raw map[string]any, params func(name string) (string, bool)) (map[string]bool, error) {
	e := &condEval{raw: raw, params: params, done: map[string]bool{}, busy: map[string]bool{}}
	for _, name := range sortedKeys(raw) {
		if _, err := e.condition(name); err != nil {
			return nil, fmt.Errorf("Conditions.%s: %w", name, err)
		}
	}
	return e.done, nil
}

type condEval struct {
	raw    map[string]any
	params func(string) (string, bool)
	done   map[string]bool
	busy   map[string]bool // being evaluated: a reference back is a cycle
}

func (e *condEval) condition(name string) (bool, error) {
	if v, ok := e.done[name]; ok {
		return v, nil
	}
	expr, ok := e.raw[name]
	if !ok {
		return false, fmt.Errorf("no condition named %q", name)
	}
	if e.busy[name] {
		return false, fmt.Errorf("condition %q refers to itself", name)
	}
	e.busy[name] = true
	v, err := e.eval(expr)
	delete(e.busy, name)
	if err != nil {
		return false, err
	}
	e.done[name] = v
	return v, nil
}

// fn splits a one-key intrinsic object {"Fn::X": arg}.
func fn(expr any) (string, any, bool) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		return k, v, true
	}
	return "", nil, false
}

func (e *condEval) eval(expr any) (bool, error) {
	if ref, ok := expr.(string); ok {
		// goformation reads the YAML tag !Condition X as the bare name.
		return e.condition(ref)
	}
	name, arg, ok := fn(expr)
	if !ok {
		return false, fmt.Errorf("want a condition function, got %v", expr)
	}
	if name == "Condition" {
		ref, ok := arg.(string)
		if !ok {
			return false, errors.New("Condition takes a condition name")
		}
		return e.condition(ref)
	}
	args, ok := arg.([]any)
	if !ok {
		return false, fmt.Errorf("%s takes a list", name)
	}
	switch name {
	case "Fn::Equals":
		if len(args) != 2 {
			return false, errors.New("Fn::Equals takes two values")
		}
		a, err := e.value(args[0])
		if err != nil {
			return false, err
		}
		b, err := e.value(args[1])
		if err != nil {
			return false, err
		}
		return a == b, nil
	case "Fn::Not":
		if len(args) != 1 {
			return false, errors.New("Fn::Not takes one condition")
		}
		v, err := e.eval(args[0])
		return !v, err
	case "Fn::And", "Fn::Or":
		if len(args) < 2 || len(args) > 10 {
			return false, fmt.Errorf("%s takes 2 to 10 conditions", name)
		}
		and := name == "Fn::And"
		for _, a := range args {
			v, err := e.eval(a)
			if err != nil {
				return false, err
			}
			if v != and { // a false in And, a true in Or decides
				return v, nil
			}
		}
		return and, nil
	}
	return false, fmt.Errorf("%s is not a condition function", name)
}

// value is one side of Fn::Equals as CloudFormation compares it: a string.
func (e *condEval) value(v any) (string, error) {
	switch x := v.(type) {
	case string, float64, bool:
		return Stringify(x), nil
	}
	name, arg, ok := fn(v)
	if !ok || name != "Ref" {
		return "", fmt.Errorf("only literals and Ref to parameters can be compared, got %v", v)
	}
	ref, _ := arg.(string)
	s, ok := e.params(ref)
	if !ok {
		return "", fmt.Errorf("Ref %q: no value for this parameter or pseudo parameter", ref)
	}
	return s, nil
}

// fnIf is the Fn::If handler for the resolved view: the value for the
// condition's outcome (nil for Ref AWS::NoValue, which the resolver answers
// with nil), or nil with the name recorded when the condition is unknown.
func (r *resolver) fnIf(_ string, input any, _ any) any {
	args, ok := input.([]any)
	if !ok || len(args) != 3 {
		r.badIf = append(r.badIf, fmt.Sprint(input))
		return nil
	}
	name, _ := args[0].(string)
	v, ok := r.conditions[name]
	if !ok {
		r.badIf = append(r.badIf, fmt.Sprint(args[0]))
		return nil
	}
	if v {
		return args[1]
	}
	return args[2]
}
