package main

import (
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
)

// TestTemplateJWTAuthorizer checks the optional JWT authorizer's wiring in
// template.yaml: AWS::LanguageExtensions runs before the SAM transform (it
// resolves the Fn::If that SAM alone rejects in Auth), and once the
// conditions are decided as CloudFormation decides them (samtemplate
// evaluates the template's parameter-only Conditions and Fn::If), the
// tickets route is guarded by LevqorJwt exactly when both JwtIssuer and
// JwtAudience are set, with the issuer and audience taken from those
// parameters.
func TestTemplateJWTAuthorizer(t *testing.T) {
	path, err := samtemplate.FindTemplate(".")
	if err != nil {
		t.Fatal(err)
	}
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
			tpl, err := samtemplate.Load(path, samtemplate.Options{Parameters: tc.params})
			if err != nil {
				t.Fatal(err)
			}
			transforms, _ := tpl.Transform.([]any)
			if len(transforms) != 2 || transforms[0] != "AWS::LanguageExtensions" || transforms[1] != "AWS::Serverless-2016-10-31" {
				t.Fatalf("Transform = %v; AWS::LanguageExtensions must run before the SAM transform", tpl.Transform)
			}
			fnRes, _ := tpl.ResolvedResource("TicketsFunction")
			apiRes, _ := tpl.ResolvedResource("HttpApi")
			fn, api := fnRes.Properties, apiRes.Properties
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

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}
