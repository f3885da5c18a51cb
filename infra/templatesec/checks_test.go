package templatesec

import (
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/levqor/serverless/infra/samtemplate"
	"github.com/levqor/serverless/shared/dynamo"
)

// Template is a parsed SAM template with intrinsics unresolved.
type Template struct {
	Globals   map[string]map[string]any
	Resources map[string]samtemplate.Resource
}

// Load reads the template at p through infra/samtemplate. It returns
// samtemplate's errors: unreadable file, not a template, no Resources.
func Load(p string) (*Template, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse parses template text (YAML or JSON). It returns an error when the
// text does not parse or has no Resources section.
func Parse(b []byte) (*Template, error) {
	t, err := samtemplate.Parse(b, samtemplate.Options{})
	if err != nil {
		return nil, fmt.Errorf("templatesec: %w", err)
	}
	return &Template{Globals: t.Globals, Resources: t.Resources}, nil
}

// Finding is one violation of a rule.
type Finding struct {
	Rule     string
	Resource string
	Message  string
}

// String renders the finding as one line: rule, resource, message.
func (f Finding) String() string { return f.Rule + ": " + f.Resource + ": " + f.Message }

// Rule is one named check over a template.
type Rule struct {
	Name  string
	Check func(*Template) []Finding
}

// TableWriters names the functions that store something and the key
// prefixes each may write (the table's single-table design).
var TableWriters = dynamo.Writers

// Publishers names the functions that may call events:PutEvents.
var Publishers = []string{"TicketsFunction", "KeepaliveFunction", "DriftScanFunction"}

// ReadOnly names functions that may only read (describe/get/list).
var ReadOnly = []string{"HealthFunction"}

// ReservedConcurrency names functions that must set ReservedConcurrentExecutions.
var ReservedConcurrency = []string{"TicketsFunction"}

// writeActions are the DynamoDB calls that change items.
var writeActions = []string{
	"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
	"dynamodb:BatchWriteItem", "dynamodb:TransactWriteItems", "dynamodb:PartiQLInsert",
	"dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
}

// Rules returns every rule, in a fixed order.
func Rules() []Rule {
	return []Rule{
		{"role-per-function", rolePerFunction},
		{"no-wildcards-on-table-or-bus", noWildcards},
		{"table-writes-by-prefix", tableWrites},
		{"read-only-functions", readOnly},
		{"put-events-on-bus-only", putEvents},
		{"ops-routes-use-iam", opsIAM},
		{"stage-throttling", throttling},
		{"reserved-concurrency", reservedConcurrency},
		{"scheduled-failure-destination", scheduledDLQ},
		{"log-retention", logRetention},
		{"table-retained", tableRetained},
		{"failure-destination-writable", failureDestinations},
		{"alarm-topic-publishable", alarmTopics},
	}
}

// ---- template access ----

func (t *Template) ofType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (t *Template) functions() []string { return t.ofType("AWS::Serverless::Function") }

func props(r samtemplate.Resource) map[string]any { return r.Properties }

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// list returns v as a list: a single value becomes a one-element list.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// statement is one IAM policy statement of a function.
type statement struct {
	effect    string
	actions   []string
	resources []any
	condition map[string]any
}

// statements returns fn's inline statements, and a finding for each policy
// entry that is not an inline statement document (managed policy ARNs and
// SAM policy templates cannot be checked here, so they are refused).
func (t *Template) statements(fn string) ([]statement, []Finding) {
	var sts []statement
	var bad []Finding
	for _, pol := range list(props(t.Resources[fn])["Policies"]) {
		doc := asMap(pol)
		if doc == nil || doc["Statement"] == nil {
			bad = append(bad, Finding{"role-per-function", fn, fmt.Sprintf("policy %v is not an inline statement document", pol)})
			continue
		}
		for _, s := range list(doc["Statement"]) {
			m := asMap(s)
			sts = append(sts, statement{
				effect:    fmt.Sprint(m["Effect"]),
				actions:   strs(m["Action"]),
				resources: list(m["Resource"]),
				condition: asMap(m["Condition"]),
			})
		}
	}
	return sts, bad
}

// refersTo reports whether a Resource value points at logical id: Ref,
// Fn::GetAtt (string or list form) or Fn::Sub mentioning ${id} / ${id.Attr}.
func refersTo(v any, id string) bool {
	m := asMap(v)
	if m == nil {
		return false
	}
	if r, ok := m["Ref"].(string); ok && r == id {
		return true
	}
	switch g := m["Fn::GetAtt"].(type) {
	case string:
		if strings.HasPrefix(g, id+".") {
			return true
		}
	case []any:
		if len(g) > 0 && g[0] == id {
			return true
		}
	}
	for _, s := range strs(firstOf(m["Fn::Sub"])) {
		if strings.Contains(s, "${"+id+"}") || strings.Contains(s, "${"+id+".") {
			return true
		}
	}
	return false
}

// firstOf returns a Fn::Sub's template string, from either of its forms.
func firstOf(v any) any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return l[0]
	}
	return v
}

// wildcardResource reports a literal "*" resource or an ARN string ending in a
// wildcard that could cover a table or bus.
func wildcardResource(v any) bool {
	s, ok := v.(string)
	if ok {
		return s == "*" || strings.HasSuffix(s, ":*") || strings.HasSuffix(s, "/*")
	}
	for _, s := range strs(firstOf(asMap(v)["Fn::Sub"])) {
		if s == "*" || strings.HasSuffix(s, ":table/*") || strings.HasSuffix(s, ":event-bus/*") {
			return true
		}
	}
	return false
}

// grants reports whether an IAM action pattern (possibly with * or ?) covers
// action, case-insensitively as IAM matches them.
func grants(pattern, action string) bool {
	ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return ok
}

func grantsAny(patterns []string, actions ...string) bool {
	for _, p := range patterns {
		for _, a := range actions {
			if grants(p, a) {
				return true
			}
		}
	}
	return false
}

// tables and buses are the logical ids of the stores the rules protect.
func (t *Template) tables() []string { return t.ofType("AWS::DynamoDB::Table") }
func (t *Template) buses() []string  { return t.ofType("AWS::Events::EventBus") }

func onAny(rs []any, ids []string) bool {
	for _, r := range rs {
		for _, id := range ids {
			if refersTo(r, id) {
				return true
			}
		}
	}
	return false
}

// storeActions reports whether any action belongs to DynamoDB or
// EventBridge (or is a bare wildcard), the services of the table and bus.
func storeActions(actions []string) bool {
	for _, a := range actions {
		l := strings.ToLower(a)
		if l == "*" || strings.HasPrefix(l, "dynamodb:") || strings.HasPrefix(l, "events:") {
			return true
		}
	}
	return false
}

// ---- rules ----

func rolePerFunction(t *Template) []Finding {
	var out []Finding
	if g := t.Globals["Function"]; g != nil {
		for _, k := range []string{"Role", "Policies"} {
			if g[k] != nil {
				out = append(out, Finding{"role-per-function", "Globals.Function", k + " in Globals is shared by every function"})
			}
		}
	}
	for _, fn := range t.functions() {
		p := props(t.Resources[fn])
		if p["Role"] != nil {
			out = append(out, Finding{"role-per-function", fn, "uses a shared Role instead of its own Policies"})
		}
		if len(list(p["Policies"])) == 0 {
			out = append(out, Finding{"role-per-function", fn, "has no Policies of its own"})
		}
		_, bad := t.statements(fn)
		out = append(out, bad...)
	}
	return out
}

func noWildcards(t *Template) []Finding {
	var out []Finding
	stores := append(t.tables(), t.buses()...)
	for _, fn := range t.functions() {
		sts, _ := t.statements(fn)
		for _, s := range sts {
			touches := onAny(s.resources, stores)
			for _, r := range s.resources {
				if wildcardResource(r) && storeActions(s.actions) {
					out = append(out, Finding{"no-wildcards-on-table-or-bus", fn, fmt.Sprintf("wildcard resource %v for %v", r, s.actions)})
				}
			}
			if !touches {
				continue
			}
			for _, a := range s.actions {
				if strings.ContainsAny(a, "*?") {
					out = append(out, Finding{"no-wildcards-on-table-or-bus", fn, "wildcard action " + a + " on the table or bus"})
				}
			}
		}
	}
	return out
}

func tableWrites(t *Template) []Finding {
	var out []Finding
	for _, fn := range t.functions() {
		sts, _ := t.statements(fn)
		allowed, isWriter := TableWriters[fn]
		for _, s := range sts {
			if s.effect != "Allow" || !grantsAny(s.actions, writeActions...) {
				continue
			}
			if !onAny(s.resources, t.tables()) && !slices.ContainsFunc(s.resources, wildcardResource) {
				continue
			}
			if !isWriter {
				out = append(out, Finding{"table-writes-by-prefix", fn, fmt.Sprintf("may write to the table (%v) but stores nothing", s.actions)})
				continue
			}
			keys := leadingKeys(s.condition)
			if len(keys) == 0 {
				out = append(out, Finding{"table-writes-by-prefix", fn, "writes without a ForAllValues dynamodb:LeadingKeys condition"})
				continue
			}
			for _, k := range keys {
				if !slices.ContainsFunc(allowed, func(p string) bool { return k == p+"*" || (strings.HasPrefix(k, p) && !strings.ContainsAny(k, "*?")) }) {
					out = append(out, Finding{"table-writes-by-prefix", fn, fmt.Sprintf("LeadingKeys %q outside its prefixes %v", k, allowed)})
				}
			}
		}
	}
	return out
}

// leadingKeys returns the dynamodb:LeadingKeys values of a ForAllValues
// condition (StringLike or StringEquals), or nil when there is none.
func leadingKeys(cond map[string]any) []string {
	var keys []string
	for op, v := range cond {
		if op != "ForAllValues:StringLike" && op != "ForAllValues:StringEquals" {
			continue
		}
		for k, vals := range asMap(v) {
			if strings.EqualFold(k, "dynamodb:LeadingKeys") {
				keys = append(keys, strs(vals)...)
			}
		}
	}
	return keys
}

var readVerbs = []string{"Describe", "Get", "BatchGet", "List"}

func readOnly(t *Template) []Finding {
	var out []Finding
	for _, fn := range ReadOnly {
		if _, ok := t.Resources[fn]; !ok {
			out = append(out, Finding{"read-only-functions", fn, "missing from the template"})
			continue
		}
		sts, _ := t.statements(fn)
		for _, s := range sts {
			if s.effect != "Allow" {
				continue
			}
			for _, a := range s.actions {
				_, verb, _ := strings.Cut(a, ":")
				if strings.ContainsAny(a, "*?") || !slices.ContainsFunc(readVerbs, func(v string) bool { return strings.HasPrefix(verb, v) }) {
					out = append(out, Finding{"read-only-functions", fn, "may only read, but is allowed " + a})
				}
			}
		}
	}
	return out
}

func putEvents(t *Template) []Finding {
	var out []Finding
	for _, fn := range t.functions() {
		sts, _ := t.statements(fn)
		for _, s := range sts {
			if s.effect != "Allow" || !grantsAny(s.actions, "events:PutEvents") {
				continue
			}
			if !slices.Contains(Publishers, fn) {
				out = append(out, Finding{"put-events-on-bus-only", fn, "may call events:PutEvents but publishes nothing"})
				continue
			}
			if len(s.resources) == 0 {
				out = append(out, Finding{"put-events-on-bus-only", fn, "events:PutEvents without a Resource"})
			}
			for _, r := range s.resources {
				if !onAny([]any{r}, t.buses()) {
					out = append(out, Finding{"put-events-on-bus-only", fn, fmt.Sprintf("events:PutEvents on %v, not the bus ARN", r)})
				}
			}
		}
	}
	return out
}

// httpEvents returns fn's HttpApi events by name.
func (t *Template) httpEvents(fn string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, e := range asMap(props(t.Resources[fn])["Events"]) {
		if m := asMap(e); m["Type"] == "HttpApi" {
			out[name] = asMap(m["Properties"])
		}
	}
	return out
}

func opsIAM(t *Template) []Finding {
	var out []Finding
	var anyOps bool
	for _, fn := range t.functions() {
		for name, p := range t.httpEvents(fn) {
			route, _ := p["Path"].(string)
			if !strings.HasPrefix(route, "/api/ops/") {
				continue
			}
			anyOps = true
			if asMap(p["Auth"])["Authorizer"] != "AWS_IAM" {
				out = append(out, Finding{"ops-routes-use-iam", fn, "route " + name + " " + route + " does not use AWS_IAM"})
			}
		}
	}
	if anyOps {
		for _, api := range t.ofType("AWS::Serverless::HttpApi") {
			if asMap(props(t.Resources[api])["Auth"])["EnableIamAuthorizer"] != true {
				out = append(out, Finding{"ops-routes-use-iam", api, "Auth.EnableIamAuthorizer is not true, so AWS_IAM routes cannot be declared"})
			}
		}
	}
	return out
}

// positive reports a number above zero, or a Ref (a parameter the stage sets).
func positive(v any) bool {
	switch x := v.(type) {
	case float64:
		return x > 0
	case map[string]any:
		return x["Ref"] != nil
	}
	return false
}

func throttling(t *Template) []Finding {
	var out []Finding
	apis := t.ofType("AWS::Serverless::HttpApi")
	if len(apis) == 0 {
		return []Finding{{"stage-throttling", "HttpApi", "no AWS::Serverless::HttpApi"}}
	}
	for _, api := range apis {
		rs := asMap(props(t.Resources[api])["DefaultRouteSettings"])
		for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
			if !positive(rs[k]) {
				out = append(out, Finding{"stage-throttling", api, "DefaultRouteSettings." + k + " not set above 0"})
			}
		}
	}
	return out
}

func reservedConcurrency(t *Template) []Finding {
	var out []Finding
	for _, fn := range ReservedConcurrency {
		if !positive(props(t.Resources[fn])["ReservedConcurrentExecutions"]) {
			out = append(out, Finding{"reserved-concurrency", fn, "ReservedConcurrentExecutions not set above 0"})
		}
	}
	return out
}

func scheduledDLQ(t *Template) []Finding {
	var out []Finding
	for _, fn := range t.functions() {
		p := props(t.Resources[fn])
		var schedules []string
		allHaveDLQ := true
		for name, e := range asMap(p["Events"]) {
			m := asMap(e)
			if m["Type"] != "Schedule" && m["Type"] != "ScheduleV2" {
				continue
			}
			schedules = append(schedules, name)
			if asMap(asMap(m["Properties"])["DeadLetterConfig"]) == nil {
				allHaveDLQ = false
			}
		}
		if len(schedules) == 0 {
			continue
		}
		onFailure := asMap(asMap(asMap(p["EventInvokeConfig"])["DestinationConfig"])["OnFailure"])["Destination"] != nil
		dlq := asMap(p["DeadLetterQueue"])["TargetArn"] != nil
		if !onFailure && !dlq && !allHaveDLQ {
			sort.Strings(schedules)
			out = append(out, Finding{"scheduled-failure-destination", fn, fmt.Sprintf("scheduled by %v with no on-failure destination, DeadLetterQueue or schedule DeadLetterConfig", schedules)})
		}
	}
	return out
}

func logRetention(t *Template) []Finding {
	var out []Finding
	groups := t.ofType("AWS::Logs::LogGroup")
	for _, fn := range t.functions() {
		ok := false
		own := asMap(props(t.Resources[fn])["LoggingConfig"])["LogGroup"]
		for _, g := range groups {
			gp := props(t.Resources[g])
			named := refersTo(gp["LogGroupName"], fn) || refersTo(own, g)
			if !named {
				if s, isStr := own.(string); isStr && gp["LogGroupName"] == s {
					named = true
				}
			}
			if named && positive(gp["RetentionInDays"]) {
				ok = true
			}
		}
		if !ok {
			out = append(out, Finding{"log-retention", fn, "no log group with RetentionInDays for this function"})
		}
	}
	return out
}

func tableRetained(t *Template) []Finding {
	var out []Finding
	tables := t.tables()
	if len(tables) == 0 {
		return []Finding{{"table-retained", "TicketsTable", "no AWS::DynamoDB::Table"}}
	}
	for _, tb := range tables {
		if t.Resources[tb].DeletionPolicy != "Retain" {
			out = append(out, Finding{"table-retained", tb, "DeletionPolicy is not Retain"})
		}
	}
	return out
}

// failureDestinations checks that every asynchronous failure destination
// can be written by whoever sends to it. A stream's or an async
// invocation's OnFailure is sent by the function's role: SAM grants
// sqs:SendMessage only when the destination says Type: SQS, else the
// function's own policy must. A schedule's DeadLetterConfig is sent by
// EventBridge: the queue needs a queue policy admitting events.amazonaws.com
// with aws:SourceArn naming the rule.
func failureDestinations(t *Template) []Finding {
	var out []Finding
	for _, fn := range t.functions() {
		p := props(t.Resources[fn])
		sts, _ := t.statements(fn)
		role := func(where string, dest map[string]any) {
			if dest == nil || dest["Destination"] == nil {
				return
			}
			if dest["Type"] == "SQS" || roleCanSend(sts, dest["Destination"]) {
				return
			}
			out = append(out, Finding{"failure-destination-writable", fn, where + " OnFailure has no Type: SQS and the role has no sqs:SendMessage on it: failures would be lost"})
		}
		role("EventInvokeConfig", asMap(asMap(asMap(p["EventInvokeConfig"])["DestinationConfig"])["OnFailure"]))
		names := make([]string, 0, len(asMap(p["Events"])))
		for name := range asMap(p["Events"]) {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			e := asMap(asMap(p["Events"])[name])
			ep := asMap(e["Properties"])
			switch e["Type"] {
			case "DynamoDB", "Kinesis", "MSK", "SelfManagedKafka":
				role("event "+name, asMap(asMap(ep["DestinationConfig"])["OnFailure"]))
			case "Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent":
				dlc := asMap(ep["DeadLetterConfig"])
				if dlc == nil || dlc["Type"] == "SQS" { // SAM makes the queue and its policy
					continue
				}
				if !t.eventsCanSend(dlc["Arn"], ep["Name"]) {
					out = append(out, Finding{"failure-destination-writable", fn, fmt.Sprintf("event %s DeadLetterConfig: no queue policy lets events.amazonaws.com send to it for rule %v (aws:SourceArn)", name, ep["Name"])})
				}
			}
		}
	}
	return out
}

// roleCanSend reports whether an Allow statement grants sqs:SendMessage on
// the queue the destination ARN value points at.
func roleCanSend(sts []statement, dest any) bool {
	id := queueOf(dest)
	for _, s := range sts {
		if s.effect != "Allow" || !grantsAny(s.actions, "sqs:SendMessage") {
			continue
		}
		for _, r := range s.resources {
			if id != "" && refersTo(r, id) {
				return true
			}
		}
	}
	return false
}

// queueOf returns the logical id an ARN value refers to (Fn::GetAtt X.Arn).
func queueOf(v any) string {
	switch g := asMap(v)["Fn::GetAtt"].(type) {
	case string:
		id, _, _ := strings.Cut(g, ".")
		return id
	case []any:
		if len(g) > 0 {
			s, _ := g[0].(string)
			return s
		}
	}
	return ""
}

// eventsCanSend reports whether a queue policy on the queue arn points at
// allows events.amazonaws.com to sqs:SendMessage with an aws:SourceArn
// condition naming the rule (its Name, as the template writes it).
func (t *Template) eventsCanSend(arn, ruleName any) bool {
	q := queueOf(arn)
	if q == "" {
		return false
	}
	name, _ := firstOf(asMap(ruleName)["Fn::Sub"]).(string)
	if s, ok := ruleName.(string); ok {
		name = s
	}
	for _, id := range t.ofType("AWS::SQS::QueuePolicy") {
		pp := props(t.Resources[id])
		onQueue := false
		for _, ref := range list(pp["Queues"]) {
			onQueue = onQueue || refersTo(ref, q)
		}
		if !onQueue {
			continue
		}
		for _, s := range list(asMap(pp["PolicyDocument"])["Statement"]) {
			m := asMap(s)
			if m["Effect"] != "Allow" || !slices.Contains(strs(asMap(m["Principal"])["Service"]), "events.amazonaws.com") ||
				!grantsAny(strs(m["Action"]), "sqs:SendMessage") {
				continue
			}
			for op, c := range asMap(m["Condition"]) {
				if op != "ArnEquals" && op != "ArnLike" {
					continue
				}
				for _, src := range list(asMap(c)["aws:SourceArn"]) {
					if name != "" && ruleArnNames(src, name) {
						return true
					}
				}
			}
		}
	}
	return false
}

// ruleArnNames reports whether an aws:SourceArn value is the ARN of the
// rule called name: a Sub or string ending in ":rule/<name>", or a GetAtt.
func ruleArnNames(src any, name string) bool {
	s, ok := src.(string)
	if !ok {
		s, _ = firstOf(asMap(src)["Fn::Sub"]).(string)
	}
	return s != "" && strings.HasSuffix(s, ":rule/"+name)
}

// alarmTopics checks that every SNS topic an alarm notifies can be
// published to by CloudWatch: unencrypted, or encrypted with a customer
// managed key of this template whose policy admits cloudwatch.amazonaws.com
// for kms:Decrypt and kms:GenerateDataKey*. The AWS managed alias/aws/sns
// key's policy cannot admit it, so such a topic silently drops every alarm.
func alarmTopics(t *Template) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, a := range t.ofType("AWS::CloudWatch::Alarm") {
		ap := props(t.Resources[a])
		var actions []any
		for _, k := range []string{"AlarmActions", "OKActions", "InsufficientDataActions"} {
			actions = append(actions, list(ap[k])...)
		}
		for _, act := range actions {
			topic, _ := asMap(act)["Ref"].(string)
			r, ok := t.Resources[topic]
			if !ok || r.Type != "AWS::SNS::Topic" || seen[topic] {
				continue
			}
			seen[topic] = true
			key := props(r)["KmsMasterKeyId"]
			if key == nil {
				continue
			}
			kid := ""
			if ref, ok := asMap(key)["Ref"].(string); ok {
				kid = ref
			} else {
				kid = queueOf(key)
			}
			kr, ok := t.Resources[kid]
			if !ok || kr.Type != "AWS::KMS::Key" {
				out = append(out, Finding{"alarm-topic-publishable", topic, fmt.Sprintf("alarm %s publishes to it, but it is encrypted with %v, not a customer managed key of this template that admits cloudwatch.amazonaws.com", a, key)})
				continue
			}
			if !admitsCloudWatch(asMap(props(kr)["KeyPolicy"])) {
				out = append(out, Finding{"alarm-topic-publishable", topic, fmt.Sprintf("alarm %s publishes to it, but key %s's policy does not allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*", a, kid)})
			}
		}
	}
	return out
}

func admitsCloudWatch(policy map[string]any) bool {
	decrypt, generate := false, false
	for _, s := range list(policy["Statement"]) {
		m := asMap(s)
		if m["Effect"] != "Allow" || !slices.Contains(strs(asMap(m["Principal"])["Service"]), "cloudwatch.amazonaws.com") {
			continue
		}
		acts := strs(m["Action"])
		decrypt = decrypt || grantsAny(acts, "kms:Decrypt")
		generate = generate || grantsAny(acts, "kms:GenerateDataKey")
	}
	return decrypt && generate
}
