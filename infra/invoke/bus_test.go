package invoke

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// TestBus drives the stand-in with the real SDK client, so the wire format
// is EventBridge's.
func TestBus(t *testing.T) {
	var out bytes.Buffer
	bus, err := StartBus(&out)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	client := eventbridge.New(eventbridge.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(bus.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	ctx := context.Background()
	res, err := client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("levqor.support"), DetailType: aws.String("TicketCreated"), Detail: aws.String(`{"ticket_id":"TKT-1"}`), EventBusName: aws.String("levqor-local")},
		{Source: aws.String("levqor.ops"), DetailType: aws.String("TargetDown"), Detail: aws.String(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.FailedEntryCount != 0 || len(res.Entries) != 2 || aws.ToString(res.Entries[0].EventId) == "" {
		t.Errorf("PutEvents answer = %+v", res)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"detail":{"ticket_id":"TKT-1"}`) || !strings.Contains(lines[0], `"detail-type":"TicketCreated"`) {
		t.Errorf("printed events = %q", lines)
	}
	if bus.Count() != 2 {
		t.Errorf("Count = %d", bus.Count())
	}
	if _, err := client.ListRules(ctx, &eventbridge.ListRulesInput{}); err == nil {
		t.Error("ListRules succeeded; the stand-in only knows PutEvents")
	}
}
