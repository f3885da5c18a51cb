package streammap

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/levqor/serverless/infra/dynamolocal"
)

func TestMain(m *testing.M) { dynamolocal.Main(m) }

func batchOf(seqs ...string) []events.DynamoDBEventRecord {
	out := make([]events.DynamoDBEventRecord, len(seqs))
	for i, s := range seqs {
		out[i].Change.SequenceNumber = s
	}
	return out
}

func TestFirstFailure(t *testing.T) {
	batch := batchOf("100", "200", "300")
	tests := []struct {
		name    string
		resp    string
		want    int
		wantErr bool
	}{
		{"no failures", `{"batchItemFailures":[]}`, -1, false},
		{"null response", `null`, -1, false},
		{"other shape", `{"ok":true}`, -1, false},
		{"second failed", `{"batchItemFailures":[{"itemIdentifier":"200"}]}`, 1, false},
		{"lowest wins", `{"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"200"}]}`, 1, false},
		{"unknown id", `{"batchItemFailures":[{"itemIdentifier":"999"}]}`, -1, true},
		{"empty id", `{"batchItemFailures":[{"itemIdentifier":""}]}`, -1, true},
		{"missing id", `{"batchItemFailures":[{}]}`, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := firstFailure([]byte(tc.resp), batch)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("firstFailure(%s) = %d, %v; want %d, error %v", tc.resp, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// recorder is a function that records batches and fails as told.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.DynamoDBEventRecord
	// answer decides the reply for the n-th invocation (from 0).
	answer func(n int, recs []events.DynamoDBEventRecord) (payload string, errType string)
}

func (r *recorder) Invoke(_ context.Context, event []byte) ([]byte, string, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, "", fmt.Errorf("event does not decode as events.DynamoDBEvent: %w", err)
	}
	r.mu.Lock()
	n := len(r.batches)
	r.batches = append(r.batches, ev.Records)
	r.mu.Unlock()
	if r.answer == nil {
		return []byte(`{"batchItemFailures":[]}`), "", nil
	}
	p, e := r.answer(n, ev.Records)
	return []byte(p), e, nil
}

// tickets returns the ticket ids delivered, in order, over all batches.
func (r *recorder) tickets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.batches {
		for _, rec := range b {
			out = append(out, rec.Change.NewImage["ticket_id"].String())
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// localStream returns a DynamoDB Local client, a streams client, the
// template's filter and a function writing one item.
func localStream(t *testing.T) (*dynamodb.Client, *dynamodbstreams.Client, *Filter, func(t *testing.T, table, pk, id string)) {
	t.Helper()
	ep := dynamolocal.Endpoint(t)
	client := dynamolocal.Client(t, ep)
	streams := dynamodbstreams.New(dynamodbstreams.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	filter, err := ParseFilter(templatePattern)
	if err != nil {
		t.Fatal(err)
	}
	put := func(t *testing.T, table, pk, id string) {
		t.Helper()
		_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: "META"},
			"ticket_id": &ddbtypes.AttributeValueMemberS{Value: id},
			"tags":      &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberN{Value: "1"}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return client, streams, filter, put
}

// runUntil runs m until fn has received want deliveries, then a little
// longer (nothing more may come), and stops it.
func runUntil(t *testing.T, m *Mapping, fn *recorder, want int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	waitFor(t, fmt.Sprintf("%d deliveries", want), func() bool { return len(fn.tickets()) >= want })
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
}

func TestMappingResumesFromCheckpoint(t *testing.T) {
	client, streams, filter, put := localStream(t)
	table := dynamolocal.Table(t, client)
	cps, err := OpenCheckpoints(filepath.Join(t.TempDir(), "checkpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	newMapping := func(fn *recorder) *Mapping {
		return &Mapping{Name: "cp", TableName: table, Table: client, Streams: streams, Function: fn,
			Filters: []*Filter{filter}, PollInterval: 50 * time.Millisecond, Checkpoints: cps}
	}
	put(t, table, "TICKET#T1", "T1")
	put(t, table, "TICKET#T2", "T2")
	first := &recorder{}
	runUntil(t, newMapping(first), first, 2)

	put(t, table, "TICKET#T3", "T3")
	reopened, err := OpenCheckpoints(cps.path)
	if err != nil {
		t.Fatal(err)
	}
	cps = reopened
	second := &recorder{}
	runUntil(t, newMapping(second), second, 1)
	if got := strings.Join(second.tickets(), ","); got != "T3" {
		t.Errorf("after a restart the mapping delivered %s, want only T3", got)
	}
}

func TestMappingAgainstDynamoDBLocal(t *testing.T) {
	client, streams, filter, put := localStream(t)

	tests := []struct {
		name   string
		bisect bool
		answer func(n int, recs []events.DynamoDBEventRecord) (string, string)
		// want is the ticket ids in delivery order, retries included.
		want []string
	}{
		{name: "filtered, in order", want: []string{"T1", "T2", "T3"}},
		{
			name: "partial failure retries from the first failed record",
			answer: func(n int, recs []events.DynamoDBEventRecord) (string, string) {
				if n == 0 && len(recs) > 1 {
					return fmt.Sprintf(`{"batchItemFailures":[{"itemIdentifier":%q}]}`, recs[1].Change.SequenceNumber), ""
				}
				return `{"batchItemFailures":[]}`, ""
			},
			want: []string{"T1", "T2", "T3", "T2", "T3"},
		},
		{
			name:   "function error bisects the batch",
			bisect: true,
			answer: func(n int, recs []events.DynamoDBEventRecord) (string, string) {
				if n == 0 {
					return `{"errorMessage":"boom"}`, "errorString"
				}
				return `null`, ""
			},
			want: []string{"T1", "T2", "T3", "T1", "T2", "T3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := dynamolocal.Table(t, client)
			// All writes land before polling starts, so they form one batch.
			put(t, table, "TICKET#T1", "T1")
			put(t, table, "IDEMP#key", "not-a-ticket")
			put(t, table, "TICKET#T2", "T2")
			put(t, table, "TICKET#T3", "T3")
			fn := &recorder{answer: tc.answer}
			var logs strings.Builder
			var logMu sync.Mutex
			m := &Mapping{
				Name: "TicketsFunction:Stream", TableName: table, Table: client, Streams: streams, Function: fn,
				BatchSize: 25, Filters: []*Filter{filter}, ReportBatchItemFailures: true, BisectOnError: tc.bisect,
				MaxRetries: 5, PollInterval: 50 * time.Millisecond, BackoffBase: 20 * time.Millisecond,
				Log: func(f string, a ...any) { logMu.Lock(); fmt.Fprintf(&logs, f+"\n", a...); logMu.Unlock() },
			}
			runUntil(t, m, fn, len(tc.want))
			if got := fn.tickets(); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("delivered %v, want %v\nlogs:\n%s", got, tc.want, logs.String())
			}
			rec := fn.batches[0][0]
			if rec.EventName != "INSERT" || rec.EventSource != "aws:dynamodb" || rec.Change.Keys["pk"].String() != "TICKET#T1" ||
				!strings.Contains(rec.EventSourceArn, "/stream/") || rec.Change.StreamViewType != "NEW_IMAGE" {
				t.Errorf("record shape: %+v", rec)
			}
		})
	}
}
