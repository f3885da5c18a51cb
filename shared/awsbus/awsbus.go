// Package awsbus publishes the project's domain events (shared/eventbus)
// to an EventBridge bus.
package awsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/levqor/serverless/shared/eventbus"
)

// PutEventsAPI is the one EventBridge call the bus uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus publishes to one named EventBridge bus (an eventbus.Publisher).
type Bus struct {
	Client PutEventsAPI
	Name   string
	Now    func() time.Time
}

// maxBatch is EventBridge's PutEvents limit on entries per call.
const maxBatch = 10

// FailedError reports entries EventBridge refused within an accepted call.
type FailedError struct {
	Failed int
	First  string // error code of the first failed entry
}

// Error says how many entries failed and the first one's error code.
func (e *FailedError) Error() string {
	return fmt.Sprintf("awsbus: %d entries failed (first: %s)", e.Failed, e.First)
}

// Publish sends events in batches of ten. It returns the transport error, a
// *FailedError when EventBridge refused some entries, or an encoding error.
func (b *Bus) Publish(ctx context.Context, events ...eventbus.Event) error {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	for start := 0; start < len(events); start += maxBatch {
		end := min(start+maxBatch, len(events))
		entries := make([]types.PutEventsRequestEntry, 0, end-start)
		for _, e := range events[start:end] {
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("awsbus: encode %s: %w", e.DetailType, err)
			}
			t := e.Time
			if t.IsZero() {
				t = now()
			}
			entries = append(entries, types.PutEventsRequestEntry{
				EventBusName: aws.String(b.Name),
				Source:       aws.String(e.Source),
				DetailType:   aws.String(e.DetailType),
				Detail:       aws.String(string(detail)),
				Time:         aws.Time(t),
			})
		}
		out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("awsbus: put events: %w", err)
		}
		if out.FailedEntryCount > 0 {
			fe := &FailedError{Failed: int(out.FailedEntryCount)}
			for _, r := range out.Entries {
				if r.ErrorCode != nil {
					fe.First = *r.ErrorCode
					break
				}
			}
			return fe
		}
	}
	return nil
}
