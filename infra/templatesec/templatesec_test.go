package templatesec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"
)

const templatePath = "../../template.yaml"

// TestTemplate runs every rule over the repository's template.yaml.
func TestTemplate(t *testing.T) {
	tpl, err := Load(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Check(tpl) {
				t.Error(f)
			}
		})
	}
}

// doc is the template as one generic JSON document, intrinsics unresolved.
type doc = map[string]any

func loadDoc(t *testing.T) doc {
	t.Helper()
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	j, err := intrinsics.ProcessYAML(b, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(j, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// at walks keys (map keys or list indexes as ints) and returns the map there.
func at(t *testing.T, d doc, keys ...any) map[string]any {
	t.Helper()
	var cur any = d
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not a map", keys, k)
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: no index %d", keys, k)
			}
			cur = l[k]
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("at %v: not a map (%T)", keys, cur)
	}
	return m
}

func fnProps(t *testing.T, d doc, fn string) map[string]any {
	return at(t, d, "Resources", fn, "Properties")
}

// stmt returns statement i of fn's first policy document.
func stmt(t *testing.T, d doc, fn string, i int) map[string]any {
	return at(t, d, "Resources", fn, "Properties", "Policies", 0, "Statement", i)
}

func addStatement(t *testing.T, d doc, fn string, s map[string]any) {
	p := at(t, d, "Resources", fn, "Properties", "Policies", 0)
	p["Statement"] = append(p["Statement"].([]any), s)
}

func getAtt(s string) map[string]any { return map[string]any{"Fn::GetAtt": s} }

// TestRulesCatchBrokenTemplates breaks the real template once per rule, writes
// the broken copy to disk, reloads it and expects that rule to object.
func TestRulesCatchBrokenTemplates(t *testing.T) {
	cases := []struct {
		rule   string
		name   string
		mutate func(t *testing.T, d doc)
	}{
		{"role-per-function", "shared role", func(t *testing.T, d doc) {
			p := fnProps(t, d, "HealthFunction")
			delete(p, "Policies")
			p["Role"] = getAtt("SharedRole.Arn")
		}},
		{"role-per-function", "policies in globals", func(t *testing.T, d doc) {
			at(t, d, "Globals", "Function")["Policies"] = []any{"AWSLambdaBasicExecutionRole"}
		}},
		{"role-per-function", "SAM policy template", func(t *testing.T, d doc) {
			p := fnProps(t, d, "TicketsFunction")
			p["Policies"] = append(p["Policies"].([]any), map[string]any{"DynamoDBCrudPolicy": map[string]any{"TableName": map[string]any{"Ref": "TicketsTable"}}})
		}},
		{"no-wildcards-on-table-or-bus", "dynamodb:* on table", func(t *testing.T, d doc) {
			stmt(t, d, "TicketsFunction", 0)["Action"] = "dynamodb:*"
		}},
		{"no-wildcards-on-table-or-bus", "events:* on bus", func(t *testing.T, d doc) {
			stmt(t, d, "TicketsFunction", 1)["Action"] = []any{"events:*"}
		}},
		{"no-wildcards-on-table-or-bus", "resource star", func(t *testing.T, d doc) {
			stmt(t, d, "HealthFunction", 0)["Resource"] = "*"
		}},
		{"table-writes-by-prefix", "health writes", func(t *testing.T, d doc) {
			addStatement(t, d, "HealthFunction", map[string]any{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": getAtt("TicketsTable.Arn")})
		}},
		{"table-writes-by-prefix", "batch write via sub", func(t *testing.T, d doc) {
			addStatement(t, d, "HealthFunction", map[string]any{"Effect": "Allow", "Action": "dynamodb:BatchWriteItem", "Resource": map[string]any{"Fn::Sub": "${TicketsTable.Arn}"}})
		}},
		{"table-writes-by-prefix", "tickets without condition", func(t *testing.T, d doc) {
			delete(stmt(t, d, "TicketsFunction", 0), "Condition")
		}},
		{"table-writes-by-prefix", "keepalive writes DRIFT#", func(t *testing.T, d doc) {
			c := at(t, d, "Resources", "KeepaliveFunction", "Properties", "Policies", 0, "Statement", 0, "Condition", "ForAllValues:StringLike")
			c["dynamodb:LeadingKeys"] = []any{"TARGET#*", "DRIFT#*"}
		}},
		{"table-writes-by-prefix", "drift any key", func(t *testing.T, d doc) {
			c := at(t, d, "Resources", "DriftScanFunction", "Properties", "Policies", 0, "Statement", 1, "Condition", "ForAllValues:StringLike")
			c["dynamodb:LeadingKeys"] = []any{"*"}
		}},
		{"read-only-functions", "health updates", func(t *testing.T, d doc) {
			stmt(t, d, "HealthFunction", 0)["Action"] = []any{"dynamodb:DescribeTable", "dynamodb:UpdateTable"}
		}},
		{"put-events-on-bus-only", "health publishes", func(t *testing.T, d doc) {
			addStatement(t, d, "HealthFunction", map[string]any{"Effect": "Allow", "Action": "events:PutEvents", "Resource": getAtt("EventBus.Arn")})
		}},
		{"put-events-on-bus-only", "tickets publishes to default bus", func(t *testing.T, d doc) {
			stmt(t, d, "TicketsFunction", 1)["Resource"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}
		}},
		{"ops-routes-use-iam", "drift route open", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "DriftScanFunction", "Properties", "Events", "Scan", "Properties"), "Auth")
		}},
		{"ops-routes-use-iam", "keepalive route NONE", func(t *testing.T, d doc) {
			at(t, d, "Resources", "KeepaliveFunction", "Properties", "Events", "Run", "Properties", "Auth")["Authorizer"] = "NONE"
		}},
		{"ops-routes-use-iam", "iam authorizer disabled", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "HttpApi", "Properties"), "Auth")
		}},
		{"stage-throttling", "no throttling", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "HttpApi", "Properties"), "DefaultRouteSettings")
		}},
		{"stage-throttling", "rate zero", func(t *testing.T, d doc) {
			at(t, d, "Resources", "HttpApi", "Properties", "DefaultRouteSettings")["ThrottlingRateLimit"] = 0
		}},
		{"reserved-concurrency", "tickets unreserved", func(t *testing.T, d doc) {
			delete(fnProps(t, d, "TicketsFunction"), "ReservedConcurrentExecutions")
		}},
		{"scheduled-failure-destination", "keepalive no DLQ", func(t *testing.T, d doc) {
			p := fnProps(t, d, "KeepaliveFunction")
			delete(p, "EventInvokeConfig")
			delete(at(t, d, "Resources", "KeepaliveFunction", "Properties", "Events", "Hourly", "Properties"), "DeadLetterConfig")
		}},
		{"log-retention", "tickets log group removed", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources"), "TicketsLogGroup")
		}},
		{"log-retention", "drift retention removed", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "DriftScanLogGroup", "Properties"), "RetentionInDays")
		}},
		{"table-retained", "table deleted with stack", func(t *testing.T, d doc) {
			at(t, d, "Resources", "TicketsTable")["DeletionPolicy"] = "Delete"
		}},
		{"failure-destination-writable", "stream OnFailure without Type", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "TicketsFunction", "Properties", "Events", "Stream", "Properties", "DestinationConfig", "OnFailure"), "Type")
		}},
		{"failure-destination-writable", "async OnFailure without Type", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "KeepaliveFunction", "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure"), "Type")
		}},
		{"failure-destination-writable", "no queue policy", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources"), "DeadLetterQueuePolicy")
		}},
		{"failure-destination-writable", "queue policy misses the drift rule", func(t *testing.T, d doc) {
			c := at(t, d, "Resources", "DeadLetterQueuePolicy", "Properties", "PolicyDocument", "Statement", 0, "Condition", "ArnEquals")
			c["aws:SourceArn"] = c["aws:SourceArn"].([]any)[:1]
		}},
		{"failure-destination-writable", "queue policy for another service", func(t *testing.T, d doc) {
			at(t, d, "Resources", "DeadLetterQueuePolicy", "Properties", "PolicyDocument", "Statement", 0, "Principal")["Service"] = "sns.amazonaws.com"
		}},
		{"failure-destination-writable", "queue policy without aws:SourceArn", func(t *testing.T, d doc) {
			delete(at(t, d, "Resources", "DeadLetterQueuePolicy", "Properties", "PolicyDocument", "Statement", 0), "Condition")
		}},
		{"alarm-topic-publishable", "AWS managed SNS key", func(t *testing.T, d doc) {
			at(t, d, "Resources", "AlarmTopic", "Properties")["KmsMasterKeyId"] = "alias/aws/sns"
		}},
		{"alarm-topic-publishable", "key policy without CloudWatch", func(t *testing.T, d doc) {
			kp := at(t, d, "Resources", "AlarmTopicKey", "Properties", "KeyPolicy")
			kp["Statement"] = kp["Statement"].([]any)[:1]
		}},
	}
	rules := map[string]Rule{}
	for _, r := range Rules() {
		rules[r.Name] = r
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			r, ok := rules[tc.rule]
			if !ok {
				t.Fatalf("no rule %q", tc.rule)
			}
			covered[tc.rule] = true
			d := loadDoc(t)
			tc.mutate(t, d)
			b, err := json.MarshalIndent(d, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "template.json")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			broken, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			fs := r.Check(broken)
			if len(fs) == 0 {
				t.Fatalf("rule %s accepted a broken template", tc.rule)
			}
			for _, f := range fs {
				if f.Rule != tc.rule {
					t.Errorf("finding under the wrong rule: %v", f)
				}
				t.Log(f)
			}
		})
	}
	for _, r := range Rules() {
		if !covered[r.Name] {
			t.Errorf("rule %s has no broken-template case", r.Name)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "Resources: {}\n", "{not yaml: [", "Resources: 3\n"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestFindingString(t *testing.T) {
	f := Finding{"r", "X", "m"}
	if !strings.Contains(f.String(), "r: X: m") {
		t.Error(f.String())
	}
}
