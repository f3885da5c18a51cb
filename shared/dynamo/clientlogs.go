package dynamo

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AlertGateAPI is the DynamoDB call AlertGate makes.
type AlertGateAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// AlertGate is clientlogs.Gate on the table: one item per fingerprint
// under pk "CLIENTERR#<fingerprint>", written only when none is there or
// the one there has expired. The condition, not TTL, decides: TTL deletes
// expired items only within days, but expires_at lets the table drop the
// rest.
type AlertGate struct {
	Client AlertGateAPI
	Table  string
}

// Admit reports whether this call wrote the fingerprint's item for the
// window starting at now. It returns the storeError mapping of a failed
// write (an Unavailable or Internal *problem.Error); a lost condition is
// (false, nil).
func (g *AlertGate) Admit(ctx context.Context, fingerprint string, now time.Time, window time.Duration) (bool, error) {
	_, err := g.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(g.Table),
		Item: map[string]types.AttributeValue{
			AttrPK:      attrS(ClientErrorPrefix + fingerprint),
			AttrSK:      attrS(ClientErrorSK),
			AttrExpires: attrN(now.Add(window).Unix()),
		},
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#exp": AttrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
	})
	if _, lost := conditionFailed(err); lost {
		return false, nil
	}
	if err != nil {
		return false, storeError(err, "the alert gate")
	}
	return true, nil
}
