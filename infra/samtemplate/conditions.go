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
// from parameter values alone: Fn::Equals, Fn::Not and Fn::And, which is
// what template.yaml uses, over Ref to a parameter or pseudo parameter and
// literals. It returns an error naming the condition that uses anything
// else (Fn::Or and Condition references are refused) or refers to an
// unknown parameter.
func evalConditions(raw map[string]any, params func(name string) (string, bool)) (map[string]bool, error) {
	done := map[string]bool{}
	for _, name := range sortedKeys(raw) {
		v, err := evalCondition(raw[name], params)
		if err != nil {
			return nil, fmt.Errorf("Conditions.%s: %w", name, err)
		}
		done[name] = v
	}
	return done, nil
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

func evalCondition(expr any, params func(string) (string, bool)) (bool, error) {
	name, arg, ok := fn(expr)
	if _, isName := expr.(string); isName {
		name, ok = "Condition", true // goformation reads the YAML tag !Condition X as the bare name
	}
	if !ok {
		return false, fmt.Errorf("want a condition function, got %v", expr)
	}
	if name == "Fn::Or" || name == "Condition" {
		return false, fmt.Errorf("%s is not supported locally: template.yaml's conditions use only Fn::Equals, Fn::Not and Fn::And", name)
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
		a, err := value(args[0], params)
		if err != nil {
			return false, err
		}
		b, err := value(args[1], params)
		return a == b, err
	case "Fn::Not":
		if len(args) != 1 {
			return false, errors.New("Fn::Not takes one condition")
		}
		v, err := evalCondition(args[0], params)
		return !v, err
	case "Fn::And":
		if len(args) < 2 || len(args) > 10 {
			return false, errors.New("Fn::And takes 2 to 10 conditions")
		}
		for _, a := range args {
			if v, err := evalCondition(a, params); err != nil || !v {
				return false, err
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("%s is not a condition function", name)
}

// value is one side of Fn::Equals as CloudFormation compares it: a string.
func value(v any, params func(string) (string, bool)) (string, error) {
	switch x := v.(type) {
	case string, float64, bool:
		return Stringify(x), nil
	}
	name, arg, ok := fn(v)
	if !ok || name != "Ref" {
		return "", fmt.Errorf("only literals and Ref to parameters can be compared, got %v", v)
	}
	ref, _ := arg.(string)
	s, ok := params(ref)
	if !ok {
		return "", fmt.Errorf("Ref %q: no value for this parameter or pseudo parameter", ref)
	}
	return s, nil
}

// fnIf is the Fn::If handler for the resolved view: the value for the
// condition's outcome (nil for Ref AWS::NoValue, which the resolver answers
// with nil), or nil with the problem recorded when the condition is unknown.
func (r *resolver) fnIf(_ string, input any, _ any) any {
	args, ok := input.([]any)
	if !ok || len(args) != 3 {
		r.fail("Fn::If on an unknown condition: %v", input)
		return nil
	}
	name, _ := args[0].(string)
	v, ok := r.conditions[name]
	if !ok {
		r.fail("Fn::If on an unknown condition: %v", args[0])
		return nil
	}
	if v {
		return args[1]
	}
	return args[2]
}
