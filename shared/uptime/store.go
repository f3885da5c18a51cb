package uptime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/problem"
)

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Key layout in the tickets table (the keepalive role may only touch
// TARGET#* partitions).
const (
	keyPrefix = "TARGET#"
	stateSK   = "STATE"
	runPrefix = "RUN#"
	// skTime sorts lexically in time order: fixed width, always UTC.
	skTime = "2006-01-02T15:04:05.000Z"
)

// ErrConflict means the state changed since it was read (another run got
// there first); the caller reads again and reapplies its result.
var ErrConflict = errors.New("uptime: state changed concurrently")

// Store keeps target state and run history in DynamoDB.
type Store struct {
	Client DynamoAPI
	Table  string
}

func targetKey(name, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: keyPrefix + name},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// unavailable wraps a DynamoDB failure as the project's 503 problem.
func unavailable(err error, what string) error {
	return problem.Wrap(problem.Unavailable, err, "the uptime store is unavailable ("+what+")")
}

// Load reads a target's state with a consistent read. A target never seen
// has the zero State with Status unknown. Errors are *problem.Error
// Unavailable.
func (s *Store) Load(ctx context.Context, target string) (State, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: targetKey(target, stateSK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return State{}, unavailable(err, "read state")
	}
	st := State{Target: target, Status: Unknown}
	if len(out.Item) == 0 {
		return st, nil
	}
	it := item(out.Item)
	st.Status = probe.Status(it.str("status"))
	st.Since = it.time("since")
	st.ConsecutiveFailures = int(it.num("consecutive_failures"))
	st.ConsecutiveSuccesses = int(it.num("consecutive_successes"))
	st.ConsecutiveDegraded = int(it.num("consecutive_degraded"))
	st.ConsecutiveUp = int(it.num("consecutive_up"))
	st.FailingSince = it.time("failing_since")
	st.LastStatus = probe.Status(it.str("last_status"))
	st.LastLatencyMs = it.num("last_latency_ms")
	st.LastCheckedAt = it.time("last_checked_at")
	st.LastRunID = it.str("last_run_id")
	if l, ok := out.Item["recent_run_ids"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if id, ok := v.(*types.AttributeValueMemberS); ok {
				st.RecentRunIDs = append(st.RecentRunIDs, id.Value)
			}
		}
	}
	st.Revision = it.num("revision")
	if p := it.str("pending_alerts"); p != "" {
		if err := json.Unmarshal([]byte(p), &st.PendingAlerts); err != nil {
			return State{}, fmt.Errorf("uptime: stored pending alerts of %s: %w", target, err)
		}
	}
	return st, nil
}

// Save writes next over prev in one conditional UpdateItem: it succeeds
// only if the stored revision is still prev's and the stored state was not
// already written by next's run. It returns ErrConflict when the condition
// fails, so a redelivered run changes the state once and concurrent runs
// never lose each other's counts; other errors are Unavailable.
func (s *Store) Save(ctx context.Context, prev, next State) error {
	set := map[string]types.AttributeValue{
		"status":                str(string(next.Status)),
		"since":                 timeAttr(next.Since),
		"consecutive_failures":  num(int64(next.ConsecutiveFailures)),
		"consecutive_successes": num(int64(next.ConsecutiveSuccesses)),
		"consecutive_degraded":  num(int64(next.ConsecutiveDegraded)),
		"consecutive_up":        num(int64(next.ConsecutiveUp)),
		"last_status":           str(string(next.LastStatus)),
		"last_latency_ms":       num(next.LastLatencyMs),
		"last_checked_at":       timeAttr(next.LastCheckedAt),
		"last_run_id":           str(next.LastRunID),
		"recent_run_ids":        strList(next.RecentRunIDs),
		"revision":              num(next.Revision),
	}
	var remove []string
	if next.FailingSince.IsZero() {
		remove = append(remove, "failing_since")
	} else {
		set["failing_since"] = timeAttr(next.FailingSince)
	}
	if len(next.PendingAlerts) == 0 {
		remove = append(remove, "pending_alerts")
	} else {
		b, err := json.Marshal(next.PendingAlerts)
		if err != nil {
			return fmt.Errorf("uptime: encode pending alerts: %w", err)
		}
		set["pending_alerts"] = str(string(b))
	}
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var sets []string
	i := 0
	for _, k := range sortedKeys(set) {
		n, v := "#a"+strconv.Itoa(i), ":v"+strconv.Itoa(i)
		names[n], values[v] = k, set[k]
		sets = append(sets, n+" = "+v)
		i++
	}
	expr := "SET " + strings.Join(sets, ", ")
	if len(remove) > 0 {
		var rs []string
		for _, k := range remove {
			n := "#a" + strconv.Itoa(i)
			names[n] = k
			rs = append(rs, n)
			i++
		}
		expr += " REMOVE " + strings.Join(rs, ", ")
	}
	cond := "attribute_not_exists(pk)"
	if prev.Revision > 0 {
		names["#rev"], names["#run"], names["#recent"] = "revision", "last_run_id", "recent_run_ids"
		values[":prev"], values[":run"] = num(prev.Revision), str(next.LastRunID)
		cond = "#rev = :prev AND #run <> :run AND NOT contains(#recent, :run)"
	}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: targetKey(next.Target, stateSK),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrConflict
	}
	if err != nil {
		return unavailable(err, "write state")
	}
	return nil
}

// ClearPending removes the pending alerts of target once they are
// published, if the state is still at revision (otherwise another run has
// taken them over and publishes them itself). It bumps the revision, so a
// run that read the alerts as pending before cannot write them back. Errors
// are Unavailable.
func (s *Store) ClearPending(ctx context.Context, target string, revision int64) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: targetKey(target, stateSK),
		UpdateExpression:          aws.String("SET #rev = :next REMOVE pending_alerts"),
		ConditionExpression:       aws.String("#rev = :rev"),
		ExpressionAttributeNames:  map[string]string{"#rev": "revision"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":rev": num(revision), ":next": num(revision + 1)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return unavailable(err, "clear pending alerts")
	}
	return nil
}

// PutRun keeps one run record, expiring RunTTL after it was checked. A
// record already there for the same time is left as it is. Errors are
// Unavailable.
func (s *Store) PutRun(ctx context.Context, r Run) error {
	it := targetKey(r.Target, runPrefix+r.CheckedAt.UTC().Format(skTime))
	it["checked_at"] = timeAttr(r.CheckedAt)
	it["status"] = str(string(r.Status))
	it["status_code"] = num(int64(r.StatusCode))
	it["latency_ms"] = num(r.LatencyMs)
	it["attempts"] = num(int64(r.Attempts))
	it["run_id"] = str(r.RunID)
	it["expires_at"] = num(r.CheckedAt.Add(RunTTL).Unix())
	for k, v := range map[string]string{"version": r.Version, "failed_condition": r.FailedCondition, "error": r.Error} {
		if v != "" {
			it[k] = str(v)
		}
	}
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: it, ConditionExpression: aws.String("attribute_not_exists(sk)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return unavailable(err, "write run")
	}
	return nil
}

// Runs returns target's run records checked in [from, to], oldest first.
// Errors are Unavailable.
func (s *Store) Runs(ctx context.Context, target string, from, to time.Time) ([]Run, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :a AND :b"),
		ConsistentRead:         aws.Bool(true), // the report reads the run it has just written
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(keyPrefix + target),
			":a":  str(runPrefix + from.UTC().Format(skTime)),
			":b":  str(runPrefix + to.UTC().Format(skTime)),
		},
	}
	var runs []Run
	for {
		out, err := s.Client.Query(ctx, in)
		if err != nil {
			return nil, unavailable(err, "read runs")
		}
		for _, raw := range out.Items {
			it := item(raw)
			runs = append(runs, Run{
				Target: target, CheckedAt: it.time("checked_at"), Status: probe.Status(it.str("status")),
				StatusCode: int(it.num("status_code")), LatencyMs: it.num("latency_ms"), Attempts: int(it.num("attempts")),
				RunID: it.str("run_id"), Version: it.str("version"), FailedCondition: it.str("failed_condition"), Error: it.str("error"),
			})
		}
		if len(out.LastEvaluatedKey) == 0 {
			return runs, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func strList(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func timeAttr(t time.Time) types.AttributeValue {
	if t.IsZero() {
		return str("")
	}
	return str(t.UTC().Format(time.RFC3339Nano))
}

// item reads attributes leniently: a missing or mistyped attribute reads as
// its zero value (items are only written by this package).
type item map[string]types.AttributeValue

func (it item) str(k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func (it item) num(k string) int64 {
	if v, ok := it[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

func (it item) time(k string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, it.str(k))
	return t
}

func sortedKeys(m map[string]types.AttributeValue) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
