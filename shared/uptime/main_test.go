package uptime

import (
	"testing"

	"github.com/levqor/serverless/infra/dynamolocal"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

// newStore returns a Store on a fresh table in DynamoDB Local.
func newStore(t *testing.T) *Store {
	t.Helper()
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	return &Store{Client: client, Table: dynamolocal.Table(t, client)}
}
