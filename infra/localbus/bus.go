// Package localbus is a local stand-in for Amazon EventBridge that speaks the
// service's wire protocol (awsJson1_1, X-Amz-Target AWSEvents.<Operation>), so
// the functions' real aws-sdk-go-v2 eventbridge clients talk to it through
// AWS_ENDPOINT_URL_EVENTBRIDGE unchanged.
//
// PutEvents validates entries as EventBridge does, prints every accepted
// event as one JSON line (the envelope targets receive) and keeps the last
// ones in memory. DescribeRule and ListTargetsByRule answer from the
// template's schedule rules. The bus can be told to fail (SetFailure), for
// the "events are never lost" demonstration and fault tests.
package localbus

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/levqor/serverless/infra/awsid"
)

// Failure modes for SetFailure.
const (
	// FailNone: the bus works.
	FailNone = ""
	// FailAll: every call fails with HTTP 500 InternalException (the SDK
	// retries it, then returns an error).
	FailAll = "all"
	// FailEntries: PutEvents answers 200 with every entry failed
	// (FailedEntryCount > 0, ErrorCode InternalFailure), the partial-failure
	// path callers must check.
	FailEntries = "entries"
)

// Limits EventBridge enforces on PutEvents.
const (
	maxEntries   = 10
	maxEntrySize = 256 * 1024
	maxRequest   = 1024 * 1024
)

// Event is an event as EventBridge delivers it to targets (aws-lambda-go's
// own envelope type), and the bus it went to.
type Event struct {
	events.CloudWatchEvent
	// EventBusName is not part of the delivered envelope; it is printed to
	// say which bus got the event.
	EventBusName string `json:"event-bus-name,omitempty"`
}

// Rule is a schedule rule the bus can describe (from the template).
type Rule struct {
	Name               string
	ScheduleExpression string
	Description        string
	// TargetID, TargetARN and Input describe the rule's one target.
	TargetID, TargetARN, Input string
}

// Bus is the local EventBridge endpoint; it is an http.Handler.
type Bus struct {
	// Region and Account fill the envelopes and ARNs.
	Region, Account string
	// Print receives each accepted event as one JSON line (nil: not printed).
	Print func(line []byte)

	mu      sync.Mutex
	failure string
	events  []Event
	rules   map[string]Rule
}

// New returns a Bus for region and account, knowing rules.
func New(region, account string, rules []Rule) *Bus {
	b := &Bus{Region: region, Account: account, rules: map[string]Rule{}}
	for _, r := range rules {
		b.rules[r.Name] = r
	}
	return b
}

// SetFailure switches the failure mode (FailNone, FailAll or FailEntries).
// It returns an error for any other mode.
func (b *Bus) SetFailure(mode string) error {
	switch mode {
	case FailNone, FailAll, FailEntries:
	default:
		return fmt.Errorf("localbus: unknown failure mode %q (want %q, %q or %q)", mode, FailNone, FailAll, FailEntries)
	}
	b.mu.Lock()
	b.failure = mode
	b.mu.Unlock()
	return nil
}

// Failure returns the current failure mode.
func (b *Bus) Failure() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failure
}

// Events returns a copy of the accepted events, oldest first (the last 1000).
func (b *Bus) Events() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Event(nil), b.events...)
}

// ServeHTTP answers one awsJson1_1 call.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AWSEvents.")
	if r.Method != http.MethodPost || !ok {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "expected POST with X-Amz-Target AWSEvents.<Operation>, got "+r.Method+" "+target)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(body) > maxRequest {
		awsError(w, http.StatusRequestEntityTooLarge, "ValidationException", "request exceeds 1 MB")
		return
	}
	if b.Failure() == FailAll {
		awsError(w, http.StatusInternalServerError, "InternalException", "local bus is set to fail (POST /_local/bus?fail=false to recover)")
		return
	}
	switch op {
	case "PutEvents":
		b.putEvents(w, body)
	case "DescribeRule":
		b.describeRule(w, body)
	case "ListTargetsByRule":
		b.listTargets(w, body)
	default:
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not emulated by the local bus")
	}
}

type putEntry struct {
	Source       *string  `json:"Source"`
	DetailType   *string  `json:"DetailType"`
	Detail       *string  `json:"Detail"`
	EventBusName string   `json:"EventBusName"`
	Resources    []string `json:"Resources"`
	Time         *float64 `json:"Time"`
}

type resultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (b *Bus) putEvents(w http.ResponseWriter, body []byte) {
	var in struct {
		Entries []putEntry `json:"Entries"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", "request is not valid JSON: "+err.Error())
		return
	}
	if len(in.Entries) < 1 || len(in.Entries) > maxEntries {
		awsError(w, http.StatusBadRequest, "ValidationException",
			fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d", maxEntries))
		return
	}
	failEntries := b.Failure() == FailEntries
	out := struct {
		FailedEntryCount int           `json:"FailedEntryCount"`
		Entries          []resultEntry `json:"Entries"`
	}{Entries: make([]resultEntry, 0, len(in.Entries))}
	for _, e := range in.Entries {
		var res resultEntry
		if failEntries {
			res = resultEntry{ErrorCode: "InternalFailure", ErrorMessage: "local bus is set to fail entries"}
		} else {
			res = b.accept(e)
		}
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	writeJSON(w, out)
}

// accept validates one entry as EventBridge does and records it.
func (b *Bus) accept(e putEntry) resultEntry {
	switch {
	case e.Source == nil || *e.Source == "":
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument."}
	case e.DetailType == nil || *e.DetailType == "":
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
	case e.Detail == nil || *e.Detail == "":
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument."}
	}
	detail := []byte(*e.Detail)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(detail, &obj); err != nil {
		return resultEntry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	}
	if size := len(*e.Source) + len(*e.DetailType) + len(detail) + len(strings.Join(e.Resources, "")); size > maxEntrySize {
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Entry size exceeds 256 KB."}
	}
	now := time.Now()
	if e.Time != nil {
		now = time.UnixMilli(int64(*e.Time * 1000))
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	ev := Event{CloudWatchEvent: events.CloudWatchEvent{
		Version:    "0",
		ID:         awsid.UUID(),
		DetailType: *e.DetailType,
		Source:     *e.Source,
		AccountID:  b.Account,
		Time:       now.UTC().Truncate(time.Second),
		Region:     b.Region,
		Resources:  resources,
		Detail:     detail,
	}, EventBusName: cmp.Or(e.EventBusName, "default")}
	b.mu.Lock()
	b.events = append(b.events, ev)
	if len(b.events) > 1000 {
		b.events = b.events[len(b.events)-1000:]
	}
	b.mu.Unlock()
	if b.Print != nil {
		line, _ := json.Marshal(ev)
		b.Print(line)
	}
	return resultEntry{EventID: ev.ID}
}

func (b *Bus) rule(w http.ResponseWriter, body []byte) (Rule, bool) {
	var in struct {
		Name string `json:"Name"`
		Rule string `json:"Rule"`
	}
	_ = json.Unmarshal(body, &in)
	name := cmp.Or(in.Name, in.Rule)
	r, ok := b.rules[name]
	if !ok {
		awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Rule "+name+" does not exist on EventBus default.")
	}
	return r, ok
}

func (b *Bus) ruleARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", b.Region, b.Account, name)
}

func (b *Bus) describeRule(w http.ResponseWriter, body []byte) {
	r, ok := b.rule(w, body)
	if !ok {
		return
	}
	writeJSON(w, map[string]any{
		"Name":               r.Name,
		"Arn":                b.ruleARN(r.Name),
		"ScheduleExpression": r.ScheduleExpression,
		"State":              "ENABLED", // samtemplate refuses a schedule's Enabled and State
		"Description":        r.Description,
		"EventBusName":       "default",
		"CreatedBy":          b.Account,
	})
}

func (b *Bus) listTargets(w http.ResponseWriter, body []byte) {
	r, ok := b.rule(w, body)
	if !ok {
		return
	}
	target := map[string]any{"Id": r.TargetID, "Arn": r.TargetARN}
	if r.Input != "" {
		target["Input"] = r.Input
	}
	writeJSON(w, map[string]any{"Targets": []any{target}})
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(body)
}

// awsError writes an awsJson1_1 error, which the SDK reads from __type.
func awsError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
