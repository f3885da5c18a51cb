// Package idempotency makes a POST safe to retry, following the IETF
// "The Idempotency-Key HTTP Header Field" draft, with AWS Lambda Powertools'
// DynamoDB persistence design as the storage model:
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
// Records live in the tickets table at pk "IDEMP#<scope>#<key>", sk
// "IDEMP". The scope is a hash of the caller's identity, so one client can
// never read another's stored response by guessing its key.
package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/retry"
)

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks a response replayed from a stored record.
const ReplayedHeader = "Idempotent-Replayed"

// MaxKeyLen bounds a key; the draft leaves the limit to the server.
const MaxKeyLen = 255

// DefaultTTL is how long a completed record is replayed (the idempotency
// window). IDEMPOTENCY_TTL overrides it.
const DefaultTTL = 24 * time.Hour

// DefaultInFlight is the in-progress expiry used when the context has no
// deadline; in Lambda the invocation deadline is used instead.
const DefaultInFlight = 30 * time.Second

// Record statuses, as Powertools names them.
const (
	StatusInProgress = "INPROGRESS"
	StatusCompleted  = "COMPLETED"
)

// Item attribute names.
const (
	attrPK          = "pk"
	attrSK          = "sk"
	attrStatus      = "status"
	attrExpires     = "expires_at"         // seconds since epoch; the table's TTL attribute
	attrInProgress  = "in_progress_expiry" // milliseconds since epoch
	attrFingerprint = "fingerprint"
	attrToken       = "token"
	attrRespStatus  = "response_status"
	attrRespBody    = "response_body"
)

// PK and SK place a record in the single table.
const (
	PKPrefix = "IDEMP#"
	SK       = "IDEMP"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Key is a client's idempotency key within its scope.
type Key struct {
	Scope string // from Scope
	Value string // from ParseKey
}

// Response is a stored first response, replayed byte for byte.
type Response struct {
	Status int
	Body   []byte
}

// Lease is held by the request that wrote an in-progress record. Only its
// holder can complete or release the record.
type Lease struct {
	key   Key
	token string
}

// Store keeps idempotency records in DynamoDB.
type Store struct {
	Client API
	Table  string
	// TTL is the idempotency window (default DefaultTTL).
	TTL time.Duration
	// InFlight is the in-progress expiry without a context deadline
	// (default DefaultInFlight).
	InFlight time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Retry governs throttling and 5xx retries (default: retry.Default with
	// retry.AWSTransient). Conditional-check failures are never retried.
	Retry *retry.Policy
}

// ParseKey validates an Idempotency-Key header value. The draft sends the
// key as a structured-field string ("..."); a bare token is accepted too.
// Keys are 1 to MaxKeyLen characters from [A-Za-z0-9._:~+/=-]: enough for
// UUIDs, ULIDs and base64, and nothing that could break a log line or the
// record's key. It returns a Validation *problem.Error naming the header.
func ParseKey(v string) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" || len(v) > MaxKeyLen {
		return "", problem.Invalid(Header, "invalid", Header+" must be 1 to "+strconv.Itoa(MaxKeyLen)+" characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '~', c == '+', c == '/', c == '=':
		default:
			return "", problem.Invalid(Header, "invalid", Header+" may only contain letters, digits and - _ . : ~ + / =")
		}
	}
	return v, nil
}

// Scope returns the scope for a caller: kind names how the caller was
// identified ("sub" for a verified token subject, "ip" for an anonymous
// source address) and identity is that value. It is hashed so records do not
// store addresses or subjects in clear, and so one caller's records are
// unreachable from any other identity.
func Scope(kind, identity string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + identity))
	return kind + ":" + hex.EncodeToString(h[:16])
}

// Fingerprint hashes the parts of a request that make it "the same
// request". Parts are length-prefixed so ("ab","c") differs from ("a","bc").
func Fingerprint(parts ...string) string {
	h := sha256.New()
	var n [20]byte
	for _, p := range parts {
		h.Write(strconv.AppendInt(n[:0], int64(len(p)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultTTL
}

func (s *Store) policy() retry.Policy {
	if s.Retry != nil {
		return *s.Retry
	}
	p := retry.Default()
	p.Retryable = retry.AWSTransient
	return p
}

func (k Key) item() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: PKPrefix + k.Scope + "#" + k.Value},
		attrSK: &types.AttributeValueMemberS{Value: SK},
	}
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
func (s *Store) Begin(ctx context.Context, k Key, fingerprint string) (*Lease, *Response, error) {
	now := s.now()
	inFlightUntil := now.Add(DefaultInFlight)
	if s.InFlight > 0 {
		inFlightUntil = now.Add(s.InFlight)
	}
	if dl, ok := ctx.Deadline(); ok {
		inFlightUntil = dl
	}
	token := newToken()
	item := k.item()
	item[attrStatus] = &types.AttributeValueMemberS{Value: StatusInProgress}
	item[attrExpires] = num(now.Add(s.ttl()).Unix())
	item[attrInProgress] = num(inFlightUntil.UnixMilli())
	item[attrFingerprint] = &types.AttributeValueMemberS{Value: fingerprint}
	item[attrToken] = &types.AttributeValueMemberS{Value: token}
	in := &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table),
		Item:                item,
		ConditionExpression: aws.String(putCondition),
		ExpressionAttributeNames: map[string]string{
			"#status": attrStatus,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":        num(now.Unix()),
			":now_ms":     num(now.UnixMilli()),
			":inprogress": &types.AttributeValueMemberS{Value: StatusInProgress},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	_, err := retry.Do(ctx, s.policy(), func(ctx context.Context) error {
		_, err := s.Client.PutItem(ctx, in)
		return err
	})
	if err == nil {
		return &Lease{key: k, token: token}, nil, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, nil, unavailable(err)
	}
	old := ccf.Item
	if str(old, attrToken) == token {
		// An earlier attempt of this very call was written but its answer
		// was lost (timeout); the record is ours.
		return &Lease{key: k, token: token}, nil, nil
	}
	if str(old, attrFingerprint) != fingerprint {
		return nil, nil, problem.New(problem.IdempotencyMismatch, Header+" was already used for a different request; use a new key for a new request")
	}
	if str(old, attrStatus) == StatusCompleted {
		status, _ := strconv.Atoi(numStr(old, attrRespStatus))
		return nil, &Response{Status: status, Body: []byte(str(old, attrRespBody))}, nil
	}
	return nil, nil, &problem.Error{
		Code:       problem.IdempotencyInFlight,
		Detail:     "a request with this " + Header + " is still being processed; retry shortly",
		RetryAfter: time.Second,
	}
}

// Complete stores r as the answer for the lease's key and marks the record
// COMPLETED until the idempotency window ends. It returns Unavailable when
// DynamoDB stays unreachable, or a wrapped error when the record is no
// longer the lease's (it expired and was claimed again).
func (s *Store) Complete(ctx context.Context, l *Lease, r Response) error {
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.Table),
		Key:                 l.key.item(),
		UpdateExpression:    aws.String("SET #status = :completed, response_status = :rs, response_body = :rb, expires_at = :exp"),
		ConditionExpression: aws.String("#token = :token"),
		ExpressionAttributeNames: map[string]string{
			"#status": attrStatus,
			"#token":  attrToken,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":completed": &types.AttributeValueMemberS{Value: StatusCompleted},
			":rs":        num(int64(r.Status)),
			":rb":        &types.AttributeValueMemberS{Value: string(r.Body)},
			":exp":       num(s.now().Add(s.ttl()).Unix()),
			":token":     &types.AttributeValueMemberS{Value: l.token},
		},
	}
	_, err := retry.Do(ctx, s.policy(), func(ctx context.Context) error {
		_, err := s.Client.UpdateItem(ctx, in)
		return err
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return problem.Wrap(problem.Internal, err, "idempotency record lost before completion")
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Release deletes the lease's in-progress record so the client's retry with
// the same key runs the operation again. A record that is no longer the
// lease's is left alone. It returns Unavailable when DynamoDB stays
// unreachable (the in-progress expiry then frees the key).
func (s *Store) Release(ctx context.Context, l *Lease) error {
	in := &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.Table),
		Key:                 l.key.item(),
		ConditionExpression: aws.String("#token = :token AND #status = :inprogress"),
		ExpressionAttributeNames: map[string]string{
			"#status": attrStatus,
			"#token":  attrToken,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":token":      &types.AttributeValueMemberS{Value: l.token},
			":inprogress": &types.AttributeValueMemberS{Value: StatusInProgress},
		},
	}
	_, err := retry.Do(ctx, s.policy(), func(ctx context.Context) error {
		_, err := s.Client.DeleteItem(ctx, in)
		return err
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return unavailable(err)
	}
	return nil
}

// unavailable answers a DynamoDB failure that survived the retries: 503
// with Retry-After for what is transient (throttling, 5xx, timeouts, broken
// connections, the deadline), 500 for the rest (a bug or misconfiguration).
func unavailable(err error) error {
	if !retry.AWSTransient(err) && !errors.Is(err, context.DeadlineExceeded) {
		return problem.Wrap(problem.Internal, err, "idempotency store failed")
	}
	return &problem.Error{
		Code:       problem.Unavailable,
		Detail:     "ticket storage is temporarily unavailable; retry shortly",
		RetryAfter: 2 * time.Second,
		Err:        err,
	}
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms (Go 1.24+).
	return hex.EncodeToString(b[:])
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func numStr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}
