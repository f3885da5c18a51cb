package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/retry"
	"github.com/levqor/serverless/shared/tickets"
	"github.com/levqor/serverless/shared/tiers"
)

// TicketsAPI is the DynamoDB calls Tickets makes.
type TicketsAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Tickets writes tickets (tickets.Store): one item per ticket at pk
// "TICKET#<id>", sk "TICKET", with a conditional PutItem that never
// overwrites one. The table's stream (NEW_IMAGE) carries each new item to
// the TicketCreated publisher, so this one write is all the request path
// does: no dual write to the event bus.
//
// A request with an Idempotency-Key is one TransactWriteItems (PutWithKey):
// the ticket and the key's record at pk "IDEMP#<scope>#<key>", sk "IDEMP",
// holding the request's fingerprint and its 201, both conditional on not
// existing (an expired record may be replaced). It consumes twice the write
// units of a plain PutItem for each item (transactional writes), and saves
// the two extra round trips of a lease-then-complete design.
type Tickets struct {
	Client TicketsAPI // retries are the client's own (shared/awsconfig)
	Table  string
	// TTL is how long a key's record is replayed (default
	// idempotency.DefaultTTL); Now is the clock (default time.Now).
	TTL time.Duration
	Now func() time.Time
}

// Put writes t unless an item with its id exists.
//
// It returns nil once the item is stored, tickets.ErrIDTaken when the id is
// already used by another ticket (the caller draws a new id; this is never
// retried), a 503 Unavailable *problem.Error with Retry-After when DynamoDB
// stays throttled, failing or unreachable after the retries, and an Internal
// *problem.Error for anything else. A failed Put has written nothing.
func (s *Tickets) Put(ctx context.Context, t *tickets.Ticket) error {
	item := TicketItem(t)
	in := &dynamodb.PutItemInput{
		TableName:                           aws.String(s.Table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	_, err := s.Client.PutItem(ctx, in)
	if err == nil {
		return nil
	}
	if old, ok := conditionFailed(err); ok {
		if sameItem(old, item) {
			// An earlier attempt of this Put was stored but its answer was
			// lost (timeout, dropped connection): the ticket is ours.
			return nil
		}
		return tickets.ErrIDTaken
	}
	return storeError(err, "ticket storage")
}

// Attribute names of a ticket item.
const (
	attrID              = "ticket_id"
	attrSubject         = "subject"
	attrBody            = "body"
	attrTier            = "tier"
	attrTierSource      = "tier_source"
	attrEmail           = "email"
	attrStatus          = "status"
	attrPriority        = "priority"
	attrSLAHours        = "sla_hours"
	attrSLADueAt        = "sla_due_at"
	attrCreatedAt       = "created_at"
	attrAIRouted        = "ai_routed"
	attrCategory        = "category"
	attrQueue           = "queue"
	attrConfidence      = "confidence"
	attrRule            = "rule"
	attrHumanEscalation = "human_escalation"
	attrCorrelationID   = "correlation_id"
)

// TicketItem returns t as a DynamoDB item. Written by hand rather than by
// reflection: the item is the stored contract, and this is the hot path.
func TicketItem(t *tickets.Ticket) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		AttrPK:              &types.AttributeValueMemberS{Value: TicketPrefix + t.ID},
		AttrSK:              &types.AttributeValueMemberS{Value: TicketSK},
		attrID:              &types.AttributeValueMemberS{Value: t.ID},
		attrSubject:         &types.AttributeValueMemberS{Value: t.Subject},
		attrBody:            &types.AttributeValueMemberS{Value: t.Body},
		attrTier:            &types.AttributeValueMemberS{Value: string(t.Tier)},
		attrTierSource:      &types.AttributeValueMemberS{Value: string(t.TierSource)},
		attrStatus:          &types.AttributeValueMemberS{Value: t.Status},
		attrPriority:        &types.AttributeValueMemberS{Value: string(t.Priority)},
		attrSLAHours:        &types.AttributeValueMemberN{Value: strconv.Itoa(t.SLAHours)},
		attrSLADueAt:        &types.AttributeValueMemberS{Value: t.SLADueAt.UTC().Format(tickets.TimeFormat)},
		attrCreatedAt:       &types.AttributeValueMemberS{Value: t.CreatedAt.UTC().Format(tickets.TimeFormat)},
		attrAIRouted:        &types.AttributeValueMemberBOOL{Value: t.Routing.AIRouted},
		attrConfidence:      &types.AttributeValueMemberN{Value: strconv.FormatFloat(t.Routing.Confidence, 'f', -1, 64)},
		attrHumanEscalation: &types.AttributeValueMemberBOOL{Value: t.HumanEscalation},
		attrCorrelationID:   &types.AttributeValueMemberS{Value: t.CorrelationID},
	}
	// DynamoDB refuses empty strings in key attributes only, but absent is
	// clearer than empty for optional values.
	optional := [...]struct{ name, value string }{
		{attrEmail, t.Email}, {attrCategory, t.Routing.Category}, {attrQueue, t.Routing.Queue}, {attrRule, t.Routing.Rule},
	}
	for _, o := range optional {
		if o.value != "" {
			item[o.name] = &types.AttributeValueMemberS{Value: o.value}
		}
	}
	return item
}

// TicketFromItem reads a ticket item (as TicketItem writes it, or a stream
// NEW_IMAGE).
// It returns an error naming the first attribute that is missing or
// malformed.
func TicketFromItem(item map[string]types.AttributeValue) (tickets.Ticket, error) {
	r := reader{item: item}
	t := tickets.Ticket{
		ID:              r.str(attrID, true),
		Subject:         r.str(attrSubject, false),
		Body:            r.str(attrBody, false),
		Tier:            tiers.Tier(r.str(attrTier, true)),
		TierSource:      tickets.TierSource(r.str(attrTierSource, true)),
		Email:           r.str(attrEmail, false),
		Status:          r.str(attrStatus, true),
		Priority:        tiers.Priority(r.str(attrPriority, true)),
		SLAHours:        int(r.num(attrSLAHours)),
		SLADueAt:        r.time(attrSLADueAt),
		CreatedAt:       r.time(attrCreatedAt),
		HumanEscalation: r.bool(attrHumanEscalation),
		CorrelationID:   r.str(attrCorrelationID, false),
		Routing: tickets.Routing{
			AIRouted:   r.bool(attrAIRouted),
			Category:   r.str(attrCategory, false),
			Queue:      r.str(attrQueue, false),
			Confidence: r.num(attrConfidence),
			Rule:       r.str(attrRule, false),
		},
	}
	if r.err != nil {
		return tickets.Ticket{}, r.err
	}
	return t, nil
}

// reader extracts typed attributes, remembering the first problem.
type reader struct {
	item map[string]types.AttributeValue
	err  error
}

func (r *reader) fail(name, why string) {
	if r.err == nil {
		r.err = fmt.Errorf("dynamo: ticket attribute %s %s", name, why)
	}
}

func (r *reader) str(name string, required bool) string {
	switch v := r.item[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case nil:
		if required {
			r.fail(name, "is missing")
		}
	default:
		r.fail(name, "is not a string")
	}
	return ""
}

func (r *reader) num(name string) float64 {
	v, ok := r.item[name].(*types.AttributeValueMemberN)
	if !ok {
		r.fail(name, "is missing or not a number")
		return 0
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	if err != nil {
		r.fail(name, "is not a number")
	}
	return f
}

func (r *reader) bool(name string) bool {
	v, ok := r.item[name].(*types.AttributeValueMemberBOOL)
	if !ok {
		r.fail(name, "is missing or not a boolean")
		return false
	}
	return v.Value
}

func (r *reader) time(name string) time.Time {
	s := r.str(name, true)
	t, err := time.Parse(tickets.TimeFormat, s)
	if err != nil && s != "" {
		r.fail(name, "is not an RFC 3339 time")
	}
	return t.UTC()
}

// sameItem reports whether two items hold the same scalar attributes: the
// test that an existing ticket is the one this Put wrote.
func sameItem(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		switch x := av.(type) {
		case *types.AttributeValueMemberS:
			y, ok := b[k].(*types.AttributeValueMemberS)
			if !ok || x.Value != y.Value {
				return false
			}
		case *types.AttributeValueMemberN:
			y, ok := b[k].(*types.AttributeValueMemberN)
			if !ok || x.Value != y.Value {
				return false
			}
		case *types.AttributeValueMemberBOOL:
			y, ok := b[k].(*types.AttributeValueMemberBOOL)
			if !ok || x.Value != y.Value {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// PutWithKey writes t and the idempotency record rec for k in one
// transaction (tickets.Store). It returns nil when both are stored;
// tickets.ErrIDTaken when the id is used (nothing written); an
// *idempotency.TakenError with the stored record when k is recorded (read
// from the cancellation itself: ALL_OLD, which DynamoDB and DynamoDB Local
// return for a transaction's failed condition); Unavailable or Internal as
// Put does. A transaction that
// conflicts with another in flight, or is throttled inside, is tried again
// under the one retry policy (the SDK does not retry a cancelled
// transaction, so attempts do not multiply).
func (s *Tickets) PutWithKey(ctx context.Context, t *tickets.Ticket, k idempotency.Key, rec idempotency.Record) error {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = idempotency.DefaultTTL
	}
	record := idempotencyKey(k)
	record[attrIdemStatus] = attrS(idempotency.StatusCompleted)
	record[attrFingerprint] = attrS(rec.Fingerprint)
	record[attrRespStatus] = attrN(int64(rec.Response.Status))
	record[attrRespBody] = attrS(string(rec.Response.Body))
	record[attrTicketID] = attrS(t.ID)
	record[AttrExpires] = attrN(now.Add(ttl).Unix())
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: aws.String(s.Table), Item: TicketItem(t),
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}},
		{Put: &types.Put{
			TableName: aws.String(s.Table), Item: record,
			ConditionExpression:                 aws.String("attribute_not_exists(pk) OR expires_at < :now"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":now": attrN(now.Unix())},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
	}}
	_, err := retry.Do(ctx, retry.Default(), func(ctx context.Context) error {
		// A fresh idempotency token per attempt: this loop only retries a
		// transaction DynamoDB cancelled, which is a new transaction. The
		// SDK keeps one token across its own retries of one attempt, so a
		// committed transaction whose answer was lost is not applied twice.
		in.ClientRequestToken = nil
		_, err := s.Client.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return retry.Permanent(err)
		}
		switch {
		case cancelReason(tce, 1) == "ConditionalCheckFailed":
			old := tce.CancellationReasons[1].Item
			if len(old) == 0 {
				return retry.Permanent(problem.Wrap(problem.Internal, err, "the key's record did not come back with the cancellation"))
			}
			return retry.Permanent(&idempotency.TakenError{Record: idempotency.Record{
				Fingerprint: getS(old, attrFingerprint),
				Response:    idempotency.Response{Status: int(getN(old, attrRespStatus)), Body: []byte(getS(old, attrRespBody))},
			}})
		case cancelReason(tce, 0) == "ConditionalCheckFailed":
			return retry.Permanent(tickets.ErrIDTaken)
		case retryableCancel(cancelReason(tce, 0)) || retryableCancel(cancelReason(tce, 1)):
			return err
		}
		return retry.Permanent(err)
	})
	var (
		taken *idempotency.TakenError
		pe    *problem.Error
		tce   *types.TransactionCanceledException
	)
	switch {
	case err == nil, errors.Is(err, tickets.ErrIDTaken), errors.As(err, &taken), errors.As(err, &pe):
		return err
	case errors.As(err, &tce) && (retryableCancel(cancelReason(tce, 0)) || retryableCancel(cancelReason(tce, 1))):
		// Still conflicting or throttled when the retries ran out.
		return &problem.Error{Code: problem.Unavailable, Detail: "ticket storage is busy; retry shortly", RetryAfter: time.Second, Err: err}
	}
	return storeError(err, "ticket storage")
}

// cancelReason is the code DynamoDB gave for item i of a cancelled
// transaction ("" when it gave none).
func cancelReason(tce *types.TransactionCanceledException, i int) string {
	if i < len(tce.CancellationReasons) {
		return aws.ToString(tce.CancellationReasons[i].Code)
	}
	return ""
}

// retryableCancel reports a transaction cancellation reason worth another
// attempt: a conflict with another transaction in flight, or throttling.
func retryableCancel(code string) bool {
	switch code {
	case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
		return true
	}
	return false
}
