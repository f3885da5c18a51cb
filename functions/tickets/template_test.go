package main

import (
	"reflect"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
)

// TestTemplateJWTAuthorizer checks the optional JWT authorizer's wiring in
// template.yaml: with the conditions decided as CloudFormation decides them
// (samtemplate evaluates the template's parameter-only Conditions and
// Fn::If), the tickets route in the HttpApi's OpenAPI body is guarded by
// LevqorJwt exactly when both JwtIssuer and JwtAudience are set, with the
// issuer and audience taken from those parameters. The template needs no
// AWS::LanguageExtensions: SAM and cfn-lint must read it as it is.
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
			if tpl.Transform != "AWS::Serverless-2016-10-31" {
				t.Fatalf("Transform = %v, want AWS::Serverless-2016-10-31 alone", tpl.Transform)
			}
			fnRes, _ := tpl.ResolvedResource("TicketsFunction")
			apiRes, _ := tpl.ResolvedResource("HttpApi")
			fn, api := fnRes.Properties, apiRes.Properties
			if auth := dig(fn, "Events", "Create", "Properties")["Auth"]; auth != nil {
				t.Fatalf("Create event Auth = %v: SAM rejects a conditional one; the body carries it", auth)
			}
			if dig(api, "Auth")["EnableIamAuthorizer"] != true {
				t.Error("the IAM authorizer of /api/ops/* was lost")
			}
			body := dig(api, "DefinitionBody")
			security, hasSecurity := dig(body, "paths", "/api/support/tickets", "post")["security"]
			jwt := dig(body, "components", "securitySchemes", "LevqorJwt")
			if !tc.on {
				if hasSecurity || jwt != nil {
					t.Fatalf("JWT off, but the route has security %v and the scheme is %v", security, jwt)
				}
				return
			}
			want := []any{map[string]any{"LevqorJwt": []any{}}}
			if !reflect.DeepEqual(security, want) {
				t.Fatalf("route security = %#v, want %#v", security, want)
			}
			authz := dig(jwt, "x-amazon-apigateway-authorizer")
			cfg := dig(authz, "jwtConfiguration")
			aud, _ := cfg["audience"].([]any)
			if jwt["type"] != "oauth2" || authz["type"] != "jwt" || authz["identitySource"] != "$request.header.Authorization" ||
				cfg["issuer"] != tc.params["JwtIssuer"] || len(aud) != 1 || aud[0] != tc.params["JwtAudience"] {
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
