package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableCreateInput returns the CreateTable request for a table named name
// with TicketsTable's key schema, attribute definitions,
// billing mode (PAY_PER_REQUEST) and stream specification. It is the only
// copy of the schema outside template.yaml. It returns nil when the template
// has no TicketsTable (Load already rejected a malformed one).
func (t *Template) TableCreateInput(name string) *dynamodb.CreateTableInput {
	in, err := t.table(name)
	if err != nil {
		return nil
	}
	return in
}

// TableTTLAttribute returns TicketsTable's TimeToLiveSpecification attribute
// name, or "" when TTL is not enabled in the template.
func (t *Template) TableTTLAttribute() string {
	spec := asMap(t.resolved[TableLogicalID].Properties["TimeToLiveSpecification"])
	if enabled, _ := spec["Enabled"].(bool); !enabled {
		return ""
	}
	return str(spec["AttributeName"])
}

// table reads TicketsTable's properties into a CreateTable request: their
// names are the SDK's field names, so JSON carries them across.
func (t *Template) table(name string) (*dynamodb.CreateTableInput, error) {
	res, ok := t.resolved[TableLogicalID]
	if !ok {
		return nil, errors.New("no such resource")
	}
	// The template's one table has no secondary index: emulate what it uses.
	for _, k := range []string{"GlobalSecondaryIndexes", "LocalSecondaryIndexes"} {
		if res.Properties[k] != nil {
			return nil, fmt.Errorf("%s: not created locally (the local stack emulates what template.yaml uses, and it has none)", k)
		}
	}
	var p struct {
		dynamodb.CreateTableInput
		StreamSpecification *struct{ StreamViewType types.StreamViewType }
	}
	b, _ := json.Marshal(res.Properties)
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: p.AttributeDefinitions,
		KeySchema:            p.KeySchema,
	}
	for _, a := range in.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == "" || a.AttributeType == "" {
			return nil, errors.New("AttributeDefinitions: AttributeName and AttributeType are required")
		}
	}
	if len(in.KeySchema) == 0 {
		return nil, errors.New("KeySchema is required")
	}
	for _, k := range in.KeySchema {
		if aws.ToString(k.AttributeName) == "" || k.KeyType == "" {
			return nil, errors.New("KeySchema: AttributeName and KeyType are required")
		}
	}
	if p.BillingMode != "" {
		in.BillingMode = p.BillingMode
	}
	if in.BillingMode == types.BillingModeProvisioned {
		// DynamoDB Local ignores capacity; a nominal one keeps the request valid.
		in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
	}
	if s := p.StreamSpecification; s != nil {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: s.StreamViewType}
	}
	return in, nil
}
