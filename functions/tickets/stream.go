package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/edge"
	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/tickets"
)

// publishBatch is EventBridge's PutEvents limit: up to this many
// consecutive tickets share one call.
const publishBatch = 10

// Stream turns each new ticket in a stream batch into a TicketCreated event.
//
// The ticket's one DynamoDB write is the source of truth; the stream
// delivers it here at least once, and this is what makes the event
// impossible to lose: a record whose event is not accepted by the bus is
// reported in BatchItemFailures, with every record after it, and Lambda
// retries from there (ReportBatchItemFailures; the event source mapping's
// retry limit and on-failure destination, the DLQ, bound the retries).
// Records are published in order and processing stops at the first failure,
// so a retried batch does not republish what already went out, except when
// EventBridge accepted only some entries of one call. Consumers deduplicate
// by ticket_id.
//
// Records that are not ticket INSERTs (the event source mapping filters
// them out already) are acknowledged and skipped. A ticket image that cannot
// be read is reported as failed, never dropped: it ends in the DLQ.
func (h *Handler) Stream(ctx context.Context, ev events.DynamoDBEvent, c edge.Call) events.DynamoDBEventResponse {
	l := c.Logger(h.Logger, "")
	var resp events.DynamoDBEventResponse
	var pending []events.DynamoDBEventRecord
	var batch []eventbus.Event
	published, skipped := 0, 0
	created := map[string]int{} // tier -> tickets published
	defer func() { h.countCreated(created, l) }()

	failFrom := func(recs []events.DynamoDBEventRecord) {
		for _, r := range recs {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		}
	}
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		if err := h.Publisher.Publish(ctx, batch...); err != nil {
			l.Error("TicketCreated not published; records reported for retry", "error", err.Error(), "records", len(pending))
			return false
		}
		published += len(batch)
		for _, e := range batch {
			if d, ok := e.Detail.(tickets.Created); ok {
				created[string(d.Tier)]++
			}
		}
		pending, batch = pending[:0], batch[:0]
		return true
	}

	for i, r := range ev.Records {
		if r.EventName != string(events.DynamoDBOperationTypeInsert) || !isTicketKey(r.Change.Keys["pk"]) {
			skipped++
			continue
		}
		t, err := dynamo.TicketFromItem(itemOf(r.Change.NewImage))
		if err != nil {
			if !flush() {
				failFrom(pending)
			}
			l.Error("unreadable ticket image; reported for retry and the DLQ", "error", err.Error(), "sequence_number", r.Change.SequenceNumber)
			failFrom(ev.Records[i:])
			return resp
		}
		pending = append(pending, r)
		batch = append(batch, tickets.CreatedEvent(&t))
		if len(batch) == publishBatch && !flush() {
			failFrom(pending)
			failFrom(ev.Records[i+1:])
			return resp
		}
	}
	if !flush() {
		failFrom(pending)
	}
	l.Info("stream batch", "records", len(ev.Records), "published", published, "skipped", skipped, "failed", len(resp.BatchItemFailures))
	return resp
}

// isTicketKey checks the partition key without the panicking accessor
// events.DynamoDBAttributeValue.String has for other types.
func isTicketKey(pk events.DynamoDBAttributeValue) bool {
	return pk.DataType() == events.DataTypeString && strings.HasPrefix(pk.String(), dynamo.TicketPrefix)
}

// itemOf converts a stream image to the SDK's attribute values, so the one
// item reader in shared/dynamo serves the table and the stream alike.
func itemOf(image map[string]events.DynamoDBAttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		out[k] = attr(v)
	}
	return out
}

func attr(v events.DynamoDBAttributeValue) types.AttributeValue {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			out[i] = attr(e)
		}
		return &types.AttributeValueMemberL{Value: out}
	case events.DataTypeMap:
		return &types.AttributeValueMemberM{Value: itemOf(v.Map())}
	}
	return &types.AttributeValueMemberNULL{Value: true}
}

// countCreated writes Levqor/Tickets TicketsCreated per tier for the
// tickets whose TicketCreated went out: off the request path, and at least
// once, as the stream delivers (a retried batch counts again what it
// republishes).
func (h *Handler) countCreated(byTier map[string]int, l *slog.Logger) {
	if h.Metrics == nil {
		return
	}
	for tier, n := range byTier {
		err := h.Metrics.Emit(metrics.NamespaceTickets,
			[]metrics.Dimension{{Name: "Service", Value: h.ServiceName}, {Name: "Tier", Value: tier}},
			metrics.Metric{Name: "TicketsCreated", Unit: metrics.Count, Value: float64(n)})
		if err != nil {
			l.Warn("tickets metric not written", "error", err.Error())
		}
	}
}
