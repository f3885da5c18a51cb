package samtemplate

import (
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

func (t *Template) table(name string) (*dynamodb.CreateTableInput, error) {
	res, ok := t.resolved[TableLogicalID]
	if !ok {
		return nil, errors.New("no such resource")
	}
	p := res.Properties
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
	}
	if bm := str(p["BillingMode"]); bm != "" {
		in.BillingMode = types.BillingMode(bm)
	}
	for _, a := range asList(p["AttributeDefinitions"]) {
		m := asMap(a)
		n, typ := str(m["AttributeName"]), str(m["AttributeType"])
		if n == "" || typ == "" {
			return nil, errors.New("AttributeDefinitions: AttributeName and AttributeType are required")
		}
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(n), AttributeType: types.ScalarAttributeType(typ),
		})
	}
	var err error
	if in.KeySchema, err = keySchema(p["KeySchema"]); err != nil {
		return nil, err
	}
	if len(in.KeySchema) == 0 {
		return nil, errors.New("KeySchema is required")
	}
	if in.BillingMode == types.BillingModeProvisioned {
		// DynamoDB Local ignores capacity; a nominal one keeps the request valid.
		in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
	}
	// The template's one table has no secondary index: emulate what it uses.
	for _, k := range []string{"GlobalSecondaryIndexes", "LocalSecondaryIndexes"} {
		if p[k] != nil {
			return nil, fmt.Errorf("%s: not created locally (the local stack emulates what template.yaml uses, and it has none)", k)
		}
	}
	if s := asMap(p["StreamSpecification"]); s != nil {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(str(s["StreamViewType"])),
		}
	}
	return in, nil
}

func keySchema(v any) ([]types.KeySchemaElement, error) {
	var out []types.KeySchemaElement
	for _, k := range asList(v) {
		m := asMap(k)
		n, typ := str(m["AttributeName"]), str(m["KeyType"])
		if n == "" || typ == "" {
			return nil, errors.New("KeySchema: AttributeName and KeyType are required")
		}
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(n), KeyType: types.KeyType(typ)})
	}
	return out, nil
}
