package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/eventfile"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tickets"
)

// toEventAttr converts an SDK attribute value to the stream event's type:
// the test builds stream batches from what DynamoDB Local really stored.
func toEventAttr(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(x.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(x.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(x.Value)
	case *types.AttributeValueMemberM:
		m := map[string]events.DynamoDBAttributeValue{}
		for k, e := range x.Value {
			m[k] = toEventAttr(e)
		}
		return events.NewMapAttribute(m)
	}
	return events.NewNullAttribute()
}

func streamBatch(items []map[string]types.AttributeValue) events.DynamoDBEvent {
	var ev events.DynamoDBEvent
	for i, it := range items {
		img := map[string]events.DynamoDBAttributeValue{}
		for k, v := range it {
			img[k] = toEventAttr(v)
		}
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{
			EventID: fmt.Sprintf("ev-%03d", i), EventName: "INSERT", EventSource: "aws:dynamodb", AWSRegion: "eu-west-2",
			Change: events.DynamoDBStreamRecord{
				Keys:           map[string]events.DynamoDBAttributeValue{"pk": img["pk"], "sk": img["sk"]},
				NewImage:       img,
				SequenceNumber: fmt.Sprintf("%021d", 1000+i),
				StreamViewType: "NEW_IMAGE",
			},
		})
	}
	return ev
}

// invokeStream sends a batch through Invoke as Lambda would, as JSON.
func invokeStream(t *testing.T, e *env, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	t.Helper()
	raw, _ := json.Marshal(ev)
	out, err := e.h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("Invoke(stream): %v", err)
	}
	resp, ok := out.(events.DynamoDBEventResponse)
	if !ok {
		t.Fatalf("Invoke returned %T", out)
	}
	return resp
}

// remaining is what Lambda re-delivers after a partial failure: the batch
// from the lowest failed sequence number on.
func remaining(ev events.DynamoDBEvent, resp events.DynamoDBEventResponse) events.DynamoDBEvent {
	if len(resp.BatchItemFailures) == 0 {
		return events.DynamoDBEvent{}
	}
	low := resp.BatchItemFailures[0].ItemIdentifier
	for _, f := range resp.BatchItemFailures {
		low = min(low, f.ItemIdentifier)
	}
	for i, r := range ev.Records {
		if r.Change.SequenceNumber == low {
			return events.DynamoDBEvent{Records: ev.Records[i:]}
		}
	}
	return events.DynamoDBEvent{}
}

func createTickets(t *testing.T, e *env, n int) []string {
	var ids []string
	for i := range n {
		req := httpEvent(t, "tickets.json")
		req.Body = fmt.Sprintf(`{"subject":"Ticket %d","body":"SECRETBODY %d","email":"private%d@example.com","tier":"agency"}`, i, i, i)
		resp := e.send(t, req)
		var doc tickets.Response
		if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil || resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
		}
		ids = append(ids, doc.TicketID)
	}
	sort.Strings(ids)
	return ids
}

// TestStreamSurvivesBusOutage: tickets acknowledged with 201 while the bus
// is down still get exactly one TicketCreated each once it recovers.
func TestStreamSurvivesBusOutage(t *testing.T) {
	tests := []struct {
		name     string
		tickets  int
		failing  bool // the whole bus is down for the first delivery
		failCall int  // or only this PutEvents call fails
	}{
		{"bus down for the whole batch", 12, true, 0},
		{"second PutEvents call fails", 12, false, 2},
		{"first call fails", 3, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			bus := newBusStub(t)
			e.h.Publisher = bus.bus()
			ids := createTickets(t, e, tc.tickets)
			items := e.ticketItems(t)
			sort.Slice(items, func(i, j int) bool {
				return items[i]["ticket_id"].(*types.AttributeValueMemberS).Value < items[j]["ticket_id"].(*types.AttributeValueMemberS).Value
			})
			batch := streamBatch(items)

			bus.failing, bus.failCall = tc.failing, tc.failCall
			resp := invokeStream(t, e, batch)
			if len(resp.BatchItemFailures) == 0 {
				t.Fatal("bus failing but no records reported for retry")
			}
			bus.mu.Lock()
			acceptedDuringOutage := len(bus.accepted)
			bus.mu.Unlock()
			if acceptedDuringOutage+len(resp.BatchItemFailures) != tc.tickets {
				t.Errorf("accepted %d + failed %d != %d tickets", acceptedDuringOutage, len(resp.BatchItemFailures), tc.tickets)
			}

			bus.failing, bus.failCall = false, 0
			for round := 0; len(resp.BatchItemFailures) > 0; round++ {
				if round > 3 {
					t.Fatal("still failing after recovery")
				}
				resp = invokeStream(t, e, remaining(batch, resp))
			}

			var got []string
			for _, d := range bus.accepted {
				got = append(got, d.TicketID)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Fatalf("published ticket ids\n got %v\nwant %v (each exactly once)", got, ids)
			}
			for _, raw := range bus.raw {
				if !strings.HasPrefix(raw, "levqor.support|TicketCreated|levqor-test|") {
					t.Errorf("event envelope %q", raw)
				}
				for _, leak := range []string{"SECRETBODY", "private", "@example.com", "Ticket ", `"subject"`, `"body"`, `"email"`} {
					if strings.Contains(raw, leak) {
						t.Errorf("event carries customer content %q: %s", leak, raw)
					}
				}
			}
		})
	}
}

func TestStreamSampleEvents(t *testing.T) {
	e := newEnvWith(t, nil, nil, "unused") // the stream path never touches DynamoDB
	bus := newBusStub(t)
	e.h.Publisher = bus.bus()
	var emf bytes.Buffer
	e.h.Metrics, e.h.ServiceName = &metrics.Writer{W: &emf}, "levqor"

	resp := invokeStream(t, e, func() events.DynamoDBEvent {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(eventfile.Read(t, "tickets-stream.json", nil), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}())
	if len(resp.BatchItemFailures) != 0 || len(bus.accepted) != 2 {
		t.Fatalf("failures %v, published %d; want 0 and 2", resp.BatchItemFailures, len(bus.accepted))
	}
	want := tickets.Created{
		TicketID: "TKT-7N2KQ9XA", Tier: "growth", TierSource: "claimed", Priority: "high", SLAHours: 12,
		SLADueAt: "2026-11-26T14:28:00Z", CreatedAt: "2026-11-25T10:28:00Z", Category: "billing", Queue: "ai-billing",
		AIRouted: true, HumanEscalation: true, CorrelationID: "req-7f3c2a9e-tickets-01",
	}
	if bus.accepted[0] != want {
		t.Errorf("detail\n got %+v\nwant %+v", bus.accepted[0], want)
	}
	// The published tickets are counted by tier, off the request path.
	var counted float64
	for _, line := range bytes.Split(bytes.TrimSpace(emf.Bytes()), []byte("\n")) {
		if err := metrics.Check(line); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(line, &m)
		if m["Tier"] == "" || m["Service"] != "levqor" {
			t.Errorf("metric line %s", line)
		}
		n, _ := m["TicketsCreated"].(float64)
		counted += n
	}
	if counted != 2 {
		t.Errorf("TicketsCreated counted %v, want 2:\n%s", counted, emf.String())
	}

	t.Run("AWS's sample batch holds no tickets: skipped, nothing published", func(t *testing.T) {
		before := len(bus.accepted)
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(eventfile.Read(t, "aws/dynamodb-event.json", nil), &ev); err != nil {
			t.Fatal(err)
		}
		if resp := invokeStream(t, e, ev); len(resp.BatchItemFailures) != 0 || len(bus.accepted) != before {
			t.Fatalf("failures %v, published %d", resp.BatchItemFailures, len(bus.accepted)-before)
		}
	})
	t.Run("an unreadable ticket image is reported, never dropped", func(t *testing.T) {
		var ev events.DynamoDBEvent
		_ = json.Unmarshal(eventfile.Read(t, "tickets-stream.json", nil), &ev)
		delete(ev.Records[1].Change.NewImage, "created_at")
		before := len(bus.accepted)
		resp := invokeStream(t, e, ev)
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[1].Change.SequenceNumber {
			t.Fatalf("failures %v, want only the broken record", resp.BatchItemFailures)
		}
		if len(bus.accepted) != before+1 {
			t.Errorf("the good record before it was not published")
		}
	})
}
