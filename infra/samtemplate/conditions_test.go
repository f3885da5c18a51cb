package samtemplate

import (
	"reflect"
	"strings"
	"testing"
)

// TestTemplateConditions: the real template's conditions and the Fn::If
// they drive, with default parameters and with the features switched on.
func TestTemplateConditions(t *testing.T) {
	off := map[string]bool{"HasAlarmEmail": false, "HasProvisionedConcurrency": false, "HasJwtAuth": false}
	tests := []struct {
		name       string
		params     map[string]string
		want       map[string]bool
		concurrent any // TicketsFunction's resolved ProvisionedConcurrencyConfig
		security   any // the tickets route's resolved security in HttpApi's DefinitionBody
		scheme     any // HttpApi's resolved LevqorJwt security scheme
	}{
		{name: "defaults", want: off},
		{name: "JwtIssuer alone", params: map[string]string{"JwtIssuer": "https://issuer.example"}, want: off},
		{name: "everything on",
			params: map[string]string{"ProvisionedConcurrency": "2", "AlarmEmail": "ops@example.com",
				"JwtIssuer": "https://issuer.example", "JwtAudience": "levqor"},
			want:       map[string]bool{"HasAlarmEmail": true, "HasProvisionedConcurrency": true, "HasJwtAuth": true},
			concurrent: map[string]any{"ProvisionedConcurrentExecutions": "2"},
			security:   []any{map[string]any{"LevqorJwt": []any{}}},
			scheme: map[string]any{"type": "oauth2", "x-amazon-apigateway-authorizer": map[string]any{
				"type":             "jwt",
				"identitySource":   "$request.header.Authorization",
				"jwtConfiguration": map[string]any{"issuer": "https://issuer.example", "audience": []any{"levqor"}},
			}}},
		// A Number parameter's "0" equals the condition's "0" however it is written.
		{name: "explicit zero", params: map[string]string{"ProvisionedConcurrency": "0"}, want: off},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := load(t, Options{Overrides: LocalOverrides("local-tickets"), Parameters: tc.params})
			if !reflect.DeepEqual(tpl.Conditions, tc.want) {
				t.Errorf("Conditions = %v, want %v", tpl.Conditions, tc.want)
			}
			fn, _ := tpl.ResolvedResource("TicketsFunction")
			if got := fn.Properties["ProvisionedConcurrencyConfig"]; !reflect.DeepEqual(got, tc.concurrent) {
				t.Errorf("ProvisionedConcurrencyConfig = %#v, want %#v", got, tc.concurrent)
			}
			api, _ := tpl.ResolvedResource("HttpApi")
			body := asMap(api.Properties["DefinitionBody"])
			if got := asMap(asMap(asMap(body["paths"])["/api/support/tickets"])["post"])["security"]; !reflect.DeepEqual(got, tc.security) {
				t.Errorf("tickets route security = %#v, want %#v", got, tc.security)
			}
			if got := asMap(asMap(body["components"])["securitySchemes"])["LevqorJwt"]; !reflect.DeepEqual(got, tc.scheme) {
				t.Errorf("LevqorJwt scheme = %#v, want %#v", got, tc.scheme)
			}
			if r := tpl.Function("TicketsFunction").Routes[0]; r.Auth != "" {
				t.Errorf("ticket route Auth %q: a JWT route is not AWS_IAM", r.Auth)
			}
		})
	}
}

// condTemplate is a minimal template with the given Conditions section and
// one resource whose property P is an Fn::If on condition C.
func condTemplate(conditions string) []byte {
	return []byte(`Parameters:
  Count: {Type: Number, Default: 0}
  Name: {Type: String, Default: ""}
  Region: {Type: String}
Conditions:
` + conditions + `
Resources:
  Thing:
    Type: AWS::SNS::Topic
    Properties:
      P: !If [C, "yes", "no"]
`)
}

func TestConditionEvaluation(t *testing.T) {
	tests := []struct {
		name       string
		conditions string
		params     map[string]string
		want       string // P's resolved value
		wantErr    string
	}{
		{"number default equals a string", `  C: !Equals [!Ref Count, "0"]`, nil, "yes", ""},
		{"number default equals a number", `  C: !Equals [!Ref Count, 0]`, nil, "yes", ""},
		{"override", `  C: !Equals [!Ref Count, "0"]`, map[string]string{"Count": "3"}, "no", ""},
		{"not", `  C: !Not [!Equals [!Ref Name, ""]]`, map[string]string{"Name": "x"}, "yes", ""},
		{"and short of one", "  C: !And [!Equals [!Ref Name, x], !Equals [!Ref Count, 1]]", map[string]string{"Name": "x"}, "no", ""},
		{"and", "  C: !And [!Equals [!Ref Name, x], !Equals [!Ref Count, 0]]", map[string]string{"Name": "x"}, "yes", ""},
		// What template.yaml does not use is refused, naming it.
		{"or refused", "  C: !Or [!Equals [!Ref Name, x], !Equals [!Ref Count, 1]]", nil, "", "Conditions.C: Fn::Or is not supported locally"},
		{"pseudo parameter", `  C: !Equals [!Ref "AWS::Region", eu-west-2]`, nil, "yes", ""},
		{"parameter without a value", `  C: !Equals [!Ref Region, eu-west-2]`, nil, "", `Conditions.C: Ref "Region"`},
		{"not parameter-only", `  C: !Equals [!GetAtt Thing.Arn, x]`, nil, "", "Conditions.C: only literals and Ref"},
		{"condition reference refused", `  C: !Condition Missing`, nil, "", "Conditions.C: Condition is not supported locally"},
		{"nested condition reference refused", "  A: !Equals [a, a]\n  C: !Not [!Condition A]", nil, "", "Conditions.C: Condition is not supported locally"},
		{"Fn::If on no condition", `  D: !Equals [a, a]`, nil, "", "Fn::If on an unknown condition: C"},
		{"And with one", `  C: !And [!Equals [a, a]]`, nil, "", "Fn::And takes 2 to 10 conditions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(condTemplate(tc.conditions), Options{Parameters: tc.params})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, _ := tpl.ResolvedResource("Thing")
			if got := res.Properties["P"]; got != tc.want {
				t.Errorf("P = %v, want %s (conditions %v)", got, tc.want, tpl.Conditions)
			}
		})
	}
}

// TestNoValueIsDropped: a property or list element that resolves to Ref
// AWS::NoValue is not there at all, as in CloudFormation.
func TestNoValueIsDropped(t *testing.T) {
	src := []byte(`Conditions:
  Off: !Equals [a, b]
Resources:
  Thing:
    Type: AWS::SNS::Topic
    Properties:
      Gone: !If [Off, x, !Ref AWS::NoValue]
      Nested: {Keep: 1, Gone: !Ref AWS::NoValue}
      List: [a, !If [Off, b, !Ref AWS::NoValue], c]
`)
	tpl, err := Parse(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := tpl.ResolvedResource("Thing")
	want := map[string]any{"Nested": map[string]any{"Keep": float64(1)}, "List": []any{"a", "c"}}
	if !reflect.DeepEqual(res.Properties, want) {
		t.Errorf("Properties = %#v, want %#v", res.Properties, want)
	}
}
