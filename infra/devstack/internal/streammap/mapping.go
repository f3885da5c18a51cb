// Package streammap emulates a Lambda event source mapping for a DynamoDB
// stream: it polls the stream of a DynamoDB Local table from TRIM_HORIZON,
// the template's starting position (DescribeStream, GetShardIterator,
// GetRecords), drops records that no filter matches, and
// invokes the function with batches in the shape Lambda sends. Like Lambda it
// processes each shard in order, one batch at a time: a failed batch blocks
// its shard and is retried with backoff; with ReportBatchItemFailures the
// retry starts at the first failed record; with BisectOnError a failing batch
// is split in two; after MaxRetries the batch is dropped (AWS would send it
// to the on-failure destination), and the drop is logged.
package streammap

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// StreamsAPI is the part of the DynamoDB Streams client the mapping uses.
type StreamsAPI interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// TableAPI finds the table's stream.
type TableAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// Invoker runs the function once; errType is set for a function error.
type Invoker interface {
	Invoke(ctx context.Context, event []byte) (payload []byte, errType string, err error)
}

// Mapping is one DynamoDB stream event source mapping.
type Mapping struct {
	Name      string // for logs, e.g. "TicketsFunction:Stream"
	TableName string
	Table     TableAPI
	Streams   StreamsAPI
	Function  Invoker

	BatchSize               int // default 100
	Filters                 []*Filter
	ReportBatchItemFailures bool
	BisectOnError           bool
	MaxRetries              int // -1: forever (Lambda's default); default from the template

	PollInterval time.Duration // default 250 ms (Lambda polls shards 4 times a second)
	BackoffBase  time.Duration // default 500 ms
	BackoffMax   time.Duration // default 5 s
	Log          func(format string, args ...any)
	// Checkpoints, when set, persists each shard's position across restarts.
	Checkpoints *Checkpoints

	streamARN string
}

// shard is the mapping's position in one shard.
type shard struct {
	id, parent string
	iterator   string
	lastSeq    string
	done       bool
}

// Run polls until ctx ends. It returns ctx's error, or an error when the
// table has no stream.
func (m *Mapping) Run(ctx context.Context) error {
	m.BatchSize = cmp.Or(m.BatchSize, 100)
	m.PollInterval = cmp.Or(m.PollInterval, 250*time.Millisecond)
	m.BackoffBase = cmp.Or(m.BackoffBase, 500*time.Millisecond)
	m.BackoffMax = cmp.Or(m.BackoffMax, 5*time.Second)
	desc, err := m.Table.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(m.TableName)})
	if err != nil {
		return fmt.Errorf("streammap %s: describe table %s: %w", m.Name, m.TableName, err)
	}
	m.streamARN = aws.ToString(desc.Table.LatestStreamArn)
	if m.streamARN == "" {
		return fmt.Errorf("streammap %s: table %s has no stream", m.Name, m.TableName)
	}
	m.log("polling %s from TRIM_HORIZON (batch %d, %d filter(s))", m.streamARN, m.BatchSize, len(m.Filters))

	shards := map[string]*shard{}
	var lastDescribe time.Time
	for {
		if time.Since(lastDescribe) > 5*time.Second {
			if err := m.refresh(ctx, shards); err != nil && ctx.Err() == nil {
				m.log("describe stream: %v", err)
			}
			lastDescribe = time.Now()
		}
		for _, s := range ordered(shards) {
			if parent, ok := shards[s.parent]; s.done || (ok && !parent.done) {
				continue // shards are read after their parent, as Lambda does
			}
			if err := m.poll(ctx, s); err != nil && ctx.Err() == nil {
				m.log("shard %s: %v", s.id, err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(m.PollInterval):
		}
	}
}

// refresh adds shards the stream has grown since the last look.
func (m *Mapping) refresh(ctx context.Context, shards map[string]*shard) error {
	var start *string
	for {
		out, err := m.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(m.streamARN), ExclusiveStartShardId: start})
		if err != nil {
			return err
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := shards[id]; ok {
				continue
			}
			it := types.ShardIteratorTypeTrimHorizon
			sh := &shard{id: id, parent: aws.ToString(s.ParentShardId)}
			if seq := m.Checkpoints.Get(m.streamARN, id); seq != "" {
				sh.lastSeq, it = seq, types.ShardIteratorTypeAfterSequenceNumber
			}
			if err := m.iterate(ctx, sh, it); err != nil {
				return err
			}
			shards[id] = sh
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

func (m *Mapping) iterate(ctx context.Context, s *shard, it types.ShardIteratorType) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(m.streamARN), ShardId: aws.String(s.id), ShardIteratorType: it}
	if it == types.ShardIteratorTypeAfterSequenceNumber {
		in.SequenceNumber = aws.String(s.lastSeq)
	}
	out, err := m.Streams.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("shard iterator for %s: %w", s.id, err)
	}
	s.iterator = aws.ToString(out.ShardIterator)
	return nil
}

func ordered(shards map[string]*shard) []*shard {
	return slices.SortedFunc(maps.Values(shards), func(a, b *shard) int { return strings.Compare(a.id, b.id) })
}

// poll reads what is new in one shard and delivers it.
func (m *Mapping) poll(ctx context.Context, s *shard) error {
	out, err := m.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(s.iterator), Limit: aws.Int32(1000)})
	var expired *types.ExpiredIteratorException
	if errors.As(err, &expired) {
		it := types.ShardIteratorTypeTrimHorizon
		if s.lastSeq != "" {
			it = types.ShardIteratorTypeAfterSequenceNumber
		}
		return m.iterate(ctx, s, it)
	}
	if err != nil {
		return err
	}
	var matched []events.DynamoDBEventRecord
	last := ""
	for _, r := range out.Records {
		rec := toRecord(r, m.streamARN)
		last = rec.Change.SequenceNumber
		if m.matches(rec) {
			matched = append(matched, rec)
		}
	}
	for len(matched) > 0 && ctx.Err() == nil {
		n := min(m.BatchSize, len(matched))
		m.deliver(ctx, matched[:n])
		matched = matched[n:]
	}
	if ctx.Err() != nil {
		return ctx.Err() // not finished with this page: no checkpoint past it
	}
	if last != "" {
		s.lastSeq = last
		if err := m.Checkpoints.Set(m.streamARN, s.id, last); err != nil {
			m.log("saving the stream checkpoint: %v", err)
		}
	}
	if out.NextShardIterator == nil {
		s.done = true
		return nil
	}
	s.iterator = aws.ToString(out.NextShardIterator)
	return nil
}

func (m *Mapping) matches(r events.DynamoDBEventRecord) bool {
	if len(m.Filters) == 0 {
		return true
	}
	doc := filterDocument(r)
	for _, f := range m.Filters {
		if f.Match(doc) {
			return true
		}
	}
	return false
}

// deliver invokes the function with batch until it succeeds, retries run
// out, or ctx ends.
func (m *Mapping) deliver(ctx context.Context, batch []events.DynamoDBEventRecord) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		failedFrom, err := m.invoke(ctx, batch)
		if err == nil && failedFrom < 0 {
			if attempt > 0 {
				m.log("batch of %d delivered after %d retr%s", len(batch), attempt, plural(attempt, "y", "ies"))
			}
			return
		}
		if err != nil && m.BisectOnError && len(batch) > 1 {
			m.log("batch of %d failed (%v); bisecting", len(batch), err)
			half := len(batch) / 2
			m.deliver(ctx, batch[:half])
			m.deliver(ctx, batch[half:])
			return
		}
		if err == nil {
			batch = batch[failedFrom:]
			err = fmt.Errorf("function reported %s as failed", batch[0].Change.SequenceNumber)
		}
		if m.MaxRetries >= 0 && attempt >= m.MaxRetries {
			m.log("dropping batch of %d after %d retries (AWS: to the on-failure destination): %v", len(batch), attempt, err)
			return
		}
		wait := m.backoff(attempt)
		m.log("retry %d of a batch of %d in %s: %v", attempt+1, len(batch), wait, err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// invoke runs one batch. It returns the index of the first record to retry
// (-1 when none) or an error when the whole batch failed.
func (m *Mapping) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (int, error) {
	payload, _ := json.Marshal(events.DynamoDBEvent{Records: batch})
	resp, errType, err := m.Function.Invoke(ctx, payload)
	if err != nil {
		return -1, err
	}
	if errType != "" {
		return -1, fmt.Errorf("function error %s: %s", errType, resp)
	}
	if !m.ReportBatchItemFailures {
		return -1, nil
	}
	return firstFailure(resp, batch)
}

// firstFailure reads a partial batch response. Like Lambda, an identifier
// that names no record of the batch fails the whole batch; a response that
// is not the partial-batch shape counts as success.
func firstFailure(resp []byte, batch []events.DynamoDBEventRecord) (int, error) {
	var out events.DynamoDBEventResponse
	if json.Unmarshal(resp, &out) != nil || len(out.BatchItemFailures) == 0 {
		return -1, nil
	}
	index := map[string]int{}
	for i, r := range batch {
		index[r.Change.SequenceNumber] = i
	}
	first := len(batch)
	for _, f := range out.BatchItemFailures {
		i, ok := index[f.ItemIdentifier]
		if !ok {
			return -1, fmt.Errorf("batchItemFailures names %q, not a record of the batch: whole batch failed", f.ItemIdentifier)
		}
		first = min(first, i)
	}
	return first, nil
}

func (m *Mapping) backoff(attempt int) time.Duration {
	d := m.BackoffBase << min(attempt, 16)
	if d <= 0 || d > m.BackoffMax {
		d = m.BackoffMax
	}
	return d
}

func (m *Mapping) log(format string, args ...any) {
	if m.Log != nil {
		m.Log("["+m.Name+"] "+format, args...)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
