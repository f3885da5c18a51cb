package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/levqor/serverless/infra/samtemplate"
)

// TestTemplateJWTAuthorizer checks the optional JWT authorizer's wiring in
// template.yaml: AWS::LanguageExtensions runs before the SAM transform (it
// resolves the Fn::If that SAM alone rejects in Auth), and once the
// conditions are decided as CloudFormation decides them, the tickets route
// is guarded by LevqorJwt exactly when both JwtIssuer and JwtAudience are
// set, with the issuer and audience taken from those parameters.
//
// The conditions are evaluated here from the raw template because
// samtemplate's resolver does not apply parameter values to Conditions
// (every Fn::If resolves to nil there).
func TestTemplateJWTAuthorizer(t *testing.T) {
	path, err := samtemplate.FindTemplate(".")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	transforms, _ := tpl["Transform"].([]any)
	if len(transforms) != 2 || transforms[0] != "AWS::LanguageExtensions" || transforms[1] != "AWS::Serverless-2016-10-31" {
		t.Fatalf("Transform = %v; AWS::LanguageExtensions must run before the SAM transform", tpl["Transform"])
	}
	conditions, _ := tpl["Conditions"].(map[string]any)
	resources, _ := tpl["Resources"].(map[string]any)
	tests := []struct {
		name   string
		params map[string]string
		on     bool
	}{
		{"off by default", map[string]string{"JwtIssuer": "", "JwtAudience": ""}, false},
		{"issuer only stays off", map[string]string{"JwtIssuer": "https://issuer.example", "JwtAudience": ""}, false},
		{"audience only stays off", map[string]string{"JwtIssuer": "", "JwtAudience": "levqor-api"}, false},
		{"issuer and audience", map[string]string{"JwtIssuer": "https://issuer.example", "JwtAudience": "levqor-api"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := evaluator{params: tc.params, conditions: conditions}
			fn := ev.resolve(dig(resources, "TicketsFunction", "Properties")).(map[string]any)
			api := ev.resolve(dig(resources, "HttpApi", "Properties")).(map[string]any)
			routeAuth, _ := dig(fn, "Events", "Create", "Properties", "Auth")["Authorizer"].(string)
			jwt := dig(api, "Auth", "Authorizers", "LevqorJwt")
			if dig(api, "Auth")["EnableIamAuthorizer"] != true {
				t.Error("the IAM authorizer of /api/ops/* was lost")
			}
			if !tc.on {
				if routeAuth != "" || jwt != nil {
					t.Fatalf("authorizer present with JWT off: route %q, authorizer %v", routeAuth, jwt)
				}
				return
			}
			if routeAuth != "LevqorJwt" {
				t.Fatalf("route authorizer = %q, want LevqorJwt", routeAuth)
			}
			cfg := dig(jwt, "JwtConfiguration")
			aud, _ := cfg["audience"].([]any)
			if cfg["issuer"] != tc.params["JwtIssuer"] || len(aud) != 1 || aud[0] != tc.params["JwtAudience"] || jwt["IdentitySource"] != "$request.header.Authorization" {
				t.Fatalf("LevqorJwt = %v", jwt)
			}
		})
	}
}

// evaluator decides Fn::If on parameter-only conditions and drops
// AWS::NoValue, as AWS::LanguageExtensions does before the SAM transform.
// Refs to parameters become their values; other Refs stay as they are.
type evaluator struct {
	params     map[string]string
	conditions map[string]any
}

func (e evaluator) resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if args, ok := x["Fn::If"].([]any); ok && len(args) == 3 {
			name, _ := args[0].(string)
			if e.condition(e.conditions[name]) {
				return e.resolve(args[1])
			}
			return e.resolve(args[2])
		}
		if ref, ok := x["Ref"].(string); ok {
			if ref == "AWS::NoValue" {
				return nil
			}
			if p, ok := e.params[ref]; ok {
				return p
			}
			return x
		}
		out := map[string]any{}
		for k, val := range x {
			if r := e.resolve(val); r != nil {
				out[k] = r
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, val := range x {
			if r := e.resolve(val); r != nil {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

func (e evaluator) condition(c any) bool {
	m, _ := c.(map[string]any)
	switch {
	case m["Fn::And"] != nil:
		for _, a := range m["Fn::And"].([]any) {
			if !e.condition(a) {
				return false
			}
		}
		return true
	case m["Fn::Not"] != nil:
		return !e.condition(m["Fn::Not"].([]any)[0])
	case m["Fn::Equals"] != nil:
		args := m["Fn::Equals"].([]any)
		return e.resolve(args[0]) == e.resolve(args[1])
	case m["Condition"] != nil:
		return e.condition(e.conditions[m["Condition"].(string)])
	}
	return false
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}
