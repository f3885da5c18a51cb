// Package dynamo owns the single DynamoDB table: the key layout of every
// record type, the encoding of their items, and one mapping from DynamoDB
// failures to the project's problems. The domain packages (tickets,
// idempotency, uptime, drift) say what they keep and define the narrow
// interfaces they need; the stores here implement them. Nothing else
// builds a key or an item.
//
// Key layout (pk, sk), with the prefix each function's IAM policy confines
// it to (dynamodb:LeadingKeys in template.yaml):
//
//	TICKET#<id>              TICKET              a ticket; the stream publishes TicketCreated
//	IDEMP#<scope>#<key>      IDEMP               an idempotency record (tickets)
//	TARGET#<name>            STATE | RUN#<time>  keepalive state and run history,
//	                         DAY#<date>          a day's roll-up (the status page)
//	                         INC#<start>         an incident (down to recovered)
//	DRIFT#REPORT             <time>#<id>         a drift report
//	CLIENTERR#<fingerprint>  ALERT               a client error's last alert (clientlogs)
//
// expires_at (seconds since the epoch) is the table's TTL attribute.
package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/awsretry"
	"github.com/levqor/serverless/shared/problem"
)

// Key attributes and the TTL attribute of the table.
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrExpires = "expires_at"
)

// Key prefixes and fixed sort keys of each record type.
const (
	TicketPrefix         = "TICKET#"
	TicketSK             = "TICKET"
	IdempotencyPrefix    = "IDEMP#"
	IdempotencySK        = "IDEMP"
	TargetPrefix         = "TARGET#"
	TargetStateSK        = "STATE"
	TargetRunPrefix      = "RUN#"
	TargetDayPrefix      = "DAY#"
	TargetIncidentPrefix = "INC#"
	DriftPrefix          = "DRIFT#"
	DriftReportPK        = DriftPrefix + "REPORT"
	ClientErrorPrefix    = "CLIENTERR#"
	ClientErrorSK        = "ALERT"
)

// Writers names each function that writes to the table and the partition
// key prefixes it writes: what its IAM policy's dynamodb:LeadingKeys must
// allow, and no more (infra/templatesec checks the template against it).
var Writers = map[string][]string{
	"TicketsFunction":    {TicketPrefix, IdempotencyPrefix},
	"KeepaliveFunction":  {TargetPrefix},
	"DriftScanFunction":  {DriftPrefix},
	"ClientLogsFunction": {ClientErrorPrefix},
}

// sortTime is RFC 3339 in UTC with fixed-width milliseconds: unlike
// RFC3339Nano it never trims digits, so sort keys order as strings.
const sortTime = "2006-01-02T15:04:05.000Z"

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: attrS(pk), AttrSK: attrS(sk)}
}

func attrS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func attrN(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func attrL(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, v := range ss {
		l[i] = attrS(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// attrs reads an item's attributes leniently: missing or mistyped reads as
// the zero value (for items only this package writes).
type attrs map[string]types.AttributeValue

func (a attrs) str(k string) string     { return getS(a, k) }
func (a attrs) num(k string) int64      { return getN(a, k) }
func (a attrs) time(k string) time.Time { return getTime(a, k) }

// getS, getN and getTime read attributes leniently: missing or mistyped
// reads as the zero value (for items only this package writes).
func getS(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, k string) int64 {
	if v, ok := item[k].(*types.AttributeValueMemberN); ok {
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	return 0
}

func getTime(item map[string]types.AttributeValue, k string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, getS(item, k))
	return t
}

func getList(item map[string]types.AttributeValue, k string) []string {
	l, ok := item[k].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	var out []string
	for _, v := range l.Value {
		if x, ok := v.(*types.AttributeValueMemberS); ok {
			out = append(out, x.Value)
		}
	}
	return out
}

func timeAttr(t time.Time) types.AttributeValue {
	if t.IsZero() {
		return attrS("")
	}
	return attrS(t.UTC().Format(time.RFC3339Nano))
}

// conditionFailed reports a ConditionalCheckFailedException and returns
// the item DynamoDB sent back with it (ALL_OLD), if any.
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}

// storeError is the one mapping from a DynamoDB failure that survived the
// retries to the answer: a 503 Unavailable with Retry-After for what is
// transient (throttling, 5xx, timeouts, broken connections, the deadline),
// naming what is unavailable; a 500 Internal for the rest (a bug or a
// misconfiguration), its detail logged and never answered.
func storeError(err error, what string) error {
	if !awsretry.Transient(err) && !errors.Is(err, context.DeadlineExceeded) {
		return problem.Wrap(problem.Internal, err, what+" failed")
	}
	return &problem.Error{
		Code:       problem.Unavailable,
		Detail:     what + " is temporarily unavailable; retry shortly",
		RetryAfter: 2 * time.Second,
		Err:        err,
	}
}
