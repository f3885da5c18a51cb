package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
)

// Attribute names of an idempotency record.
const (
	attrIdemStatus  = "status"
	attrInProgress  = "in_progress_expiry" // milliseconds since epoch
	attrFingerprint = "fingerprint"
	attrToken       = "token"
	attrRespStatus  = "response_status"
	attrRespBody    = "response_body"
	attrTicketID    = "ticket_id"
)

// IdempotencyAPI is the part of the DynamoDB client Idempotency uses.
type IdempotencyAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Idempotency is the previous idempotent-create design, no longer on the
// request path (Tickets.PutWithKey writes the ticket and its key in one
// transaction): make bench measures it beside the transaction, as the
// three writes it took. AWS Lambda Powertools' DynamoDB design:
//
//   - Begin writes an INPROGRESS record with one conditional PutItem that
//     succeeds only when no live record exists (absent, expired, or
//     in-progress past its in-progress expiry). On failure DynamoDB returns
//     the existing record (ReturnValuesOnConditionCheckFailure=ALL_OLD), so
//     no second read is needed and there is no read-then-write race.
//   - The existing record decides the answer: a different request
//     fingerprint is 422, an INPROGRESS record is 409, a COMPLETED record is
//     replayed byte for byte.
//   - Complete stores the response and marks the record COMPLETED until its
//     expiry (TTL, 24 h by default); Release deletes an in-progress record
//     when the operation failed, so a retry can succeed at once. The
//     in-progress expiry (the invocation's deadline) is the backstop when
//     even the delete fails.
//
// Records are at pk "IDEMP#<scope>#<key>", sk "IDEMP".
type Idempotency struct {
	Client IdempotencyAPI // retries are the client's own (shared/awsconfig)
	Table  string
	// TTL is the idempotency window (default idempotency.DefaultTTL).
	TTL time.Duration
	// InFlight is the in-progress expiry without a context deadline
	// (default idempotency.DefaultInFlight).
	InFlight time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (s *Idempotency) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Idempotency) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return idempotency.DefaultTTL
}

func idempotencyKey(k idempotency.Key) map[string]types.AttributeValue {
	return key(IdempotencyPrefix+k.Scope+"#"+k.Value, IdempotencySK)
}

// putCondition is Powertools' condition: no record, or an expired one, or
// one left in progress past its in-progress expiry.
const putCondition = "attribute_not_exists(pk) OR expires_at < :now OR (#status = :inprogress AND in_progress_expiry < :now_ms)"

// Begin claims k for a request with the given fingerprint.
//
// It returns a Lease when the caller should run the operation, or the stored
// Response when the same request already completed (replay). Errors are
// *problem.Error: IdempotencyMismatch (422) when k was used for a different
// request, IdempotencyInFlight (409) when that request is still running, and
// Unavailable (503) when DynamoDB stays unreachable after retries.
func (s *Idempotency) Begin(ctx context.Context, k idempotency.Key, fingerprint string) (*idempotency.Lease, *idempotency.Response, error) {
	now := s.now()
	inFlightUntil := now.Add(idempotency.DefaultInFlight)
	if s.InFlight > 0 {
		inFlightUntil = now.Add(s.InFlight)
	}
	if dl, ok := ctx.Deadline(); ok {
		inFlightUntil = dl
	}
	token := newToken()
	item := idempotencyKey(k)
	item[attrIdemStatus] = &types.AttributeValueMemberS{Value: idempotency.StatusInProgress}
	item[AttrExpires] = attrN(now.Add(s.ttl()).Unix())
	item[attrInProgress] = attrN(inFlightUntil.UnixMilli())
	item[attrFingerprint] = &types.AttributeValueMemberS{Value: fingerprint}
	item[attrToken] = &types.AttributeValueMemberS{Value: token}
	in := &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table),
		Item:                item,
		ConditionExpression: aws.String(putCondition),
		ExpressionAttributeNames: map[string]string{
			"#status": attrIdemStatus,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":        attrN(now.Unix()),
			":now_ms":     attrN(now.UnixMilli()),
			":inprogress": &types.AttributeValueMemberS{Value: idempotency.StatusInProgress},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	_, err := s.Client.PutItem(ctx, in)
	if err == nil {
		return &idempotency.Lease{Key: k, Token: token}, nil, nil
	}
	old, ok := conditionFailed(err)
	if !ok {
		return nil, nil, storeError(err, "ticket storage")
	}
	if getS(old, attrToken) == token {
		// An earlier attempt of this very call was written but its answer
		// was lost (timeout); the record is ours.
		return &idempotency.Lease{Key: k, Token: token}, nil, nil
	}
	if getS(old, attrFingerprint) != fingerprint {
		return nil, nil, problem.New(problem.IdempotencyMismatch, idempotency.Header+" was already used for a different request; use a new key for a new request")
	}
	if getS(old, attrIdemStatus) == idempotency.StatusCompleted {
		status := int(getN(old, attrRespStatus))
		return nil, &idempotency.Response{Status: status, Body: []byte(getS(old, attrRespBody))}, nil
	}
	return nil, nil, &problem.Error{
		Code:       problem.IdempotencyInFlight,
		Detail:     "a request with this " + idempotency.Header + " is still being processed; retry shortly",
		RetryAfter: time.Second,
	}
}

// Complete stores r as the answer for the lease's key and marks the record
// COMPLETED until the idempotency window ends. It returns Unavailable when
// DynamoDB stays unreachable, or a wrapped error when the record is no
// longer the lease's (it expired and was claimed again).
func (s *Idempotency) Complete(ctx context.Context, l *idempotency.Lease, r idempotency.Response) error {
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.Table),
		Key:                 idempotencyKey(l.Key),
		UpdateExpression:    aws.String("SET #status = :completed, response_status = :rs, response_body = :rb, expires_at = :exp"),
		ConditionExpression: aws.String("#token = :token"),
		ExpressionAttributeNames: map[string]string{
			"#status": attrIdemStatus,
			"#token":  attrToken,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":completed": &types.AttributeValueMemberS{Value: idempotency.StatusCompleted},
			":rs":        attrN(int64(r.Status)),
			":rb":        &types.AttributeValueMemberS{Value: string(r.Body)},
			":exp":       attrN(s.now().Add(s.ttl()).Unix()),
			":token":     &types.AttributeValueMemberS{Value: l.Token},
		},
	}
	_, err := s.Client.UpdateItem(ctx, in)
	if _, ok := conditionFailed(err); ok {
		return problem.Wrap(problem.Internal, err, "idempotency record lost before completion")
	}
	if err != nil {
		return storeError(err, "ticket storage")
	}
	return nil
}

// Release deletes the lease's in-progress record so the client's retry with
// the same key runs the operation again. A record that is no longer the
// lease's is left alone. It returns Unavailable when DynamoDB stays
// unreachable (the in-progress expiry then frees the key).
func (s *Idempotency) Release(ctx context.Context, l *idempotency.Lease) error {
	in := &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.Table),
		Key:                 idempotencyKey(l.Key),
		ConditionExpression: aws.String("#token = :token AND #status = :inprogress"),
		ExpressionAttributeNames: map[string]string{
			"#status": attrIdemStatus,
			"#token":  attrToken,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":token":      &types.AttributeValueMemberS{Value: l.Token},
			":inprogress": &types.AttributeValueMemberS{Value: idempotency.StatusInProgress},
		},
	}
	_, err := s.Client.DeleteItem(ctx, in)
	if _, ok := conditionFailed(err); err != nil && !ok {
		return storeError(err, "ticket storage")
	}
	return nil
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms (Go 1.24+).
	return hex.EncodeToString(b[:])
}
