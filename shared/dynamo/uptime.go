package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/uptime"
)

// UptimeAPI is the part of the DynamoDB client Uptime uses.
type UptimeAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Uptime keeps target state (pk "TARGET#<name>", sk "STATE") and run
// history (sk "RUN#<time>") for the keepalive (uptime.Store). The keepalive
// role may only touch TARGET#* partitions.
type Uptime struct {
	Client UptimeAPI
	Table  string
}

func targetKey(name, sk string) map[string]types.AttributeValue {
	return key(TargetPrefix+name, sk)
}

// Load reads a target's state with a consistent read. A target never seen
// has the zero State with Status unknown. Errors are *problem.Error
// Unavailable.
func (s *Uptime) Load(ctx context.Context, target string) (uptime.State, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: targetKey(target, TargetStateSK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return uptime.State{}, storeError(err, "the uptime store (read state)")
	}
	st := uptime.State{Target: target, Status: uptime.Unknown}
	if len(out.Item) == 0 {
		return st, nil
	}
	it := attrs(out.Item)
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
	st.RecentRunIDs = getList(out.Item, "recent_run_ids")
	st.Revision = it.num("revision")
	if p := it.str("pending_alerts"); p != "" {
		if err := json.Unmarshal([]byte(p), &st.PendingAlerts); err != nil {
			return uptime.State{}, fmt.Errorf("uptime: stored pending alerts of %s: %w", target, err)
		}
	}
	return st, nil
}

// Save writes next over prev in one conditional UpdateItem: it succeeds
// only if the stored revision is still prev's and the stored state was not
// already written by next's run. It returns ErrConflict when the condition
// fails, so a redelivered run changes the state once and concurrent runs
// never lose each other's counts; other errors are Unavailable.
func (s *Uptime) Save(ctx context.Context, prev, next uptime.State) error {
	set := map[string]types.AttributeValue{
		"status":                attrS(string(next.Status)),
		"since":                 timeAttr(next.Since),
		"consecutive_failures":  attrN(int64(next.ConsecutiveFailures)),
		"consecutive_successes": attrN(int64(next.ConsecutiveSuccesses)),
		"consecutive_degraded":  attrN(int64(next.ConsecutiveDegraded)),
		"consecutive_up":        attrN(int64(next.ConsecutiveUp)),
		"last_status":           attrS(string(next.LastStatus)),
		"last_latency_ms":       attrN(next.LastLatencyMs),
		"last_checked_at":       timeAttr(next.LastCheckedAt),
		"last_run_id":           attrS(next.LastRunID),
		"recent_run_ids":        attrL(next.RecentRunIDs),
		"revision":              attrN(next.Revision),
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
		set["pending_alerts"] = attrS(string(b))
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
		values[":prev"], values[":run"] = attrN(prev.Revision), attrS(next.LastRunID)
		cond = "#rev = :prev AND #run <> :run AND NOT contains(#recent, :run)"
	}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: targetKey(next.Target, TargetStateSK),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	if _, ok := conditionFailed(err); ok {
		return uptime.ErrConflict
	}
	if err != nil {
		return storeError(err, "the uptime store (write state)")
	}
	return nil
}

// ClearPending sets target's pending alerts to remaining (those not yet
// published) if the state is still at revision, bumping the revision, so a
// run that read the alerts as pending before cannot write them back. It
// returns uptime.ErrConflict when the revision moved on; other errors are
// Unavailable (Internal for a misconfiguration).
func (s *Uptime) ClearPending(ctx context.Context, target string, revision int64, remaining []uptime.Alert) error {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: targetKey(target, TargetStateSK),
		UpdateExpression:          aws.String("SET #rev = :next REMOVE pending_alerts"),
		ConditionExpression:       aws.String("#rev = :rev"),
		ExpressionAttributeNames:  map[string]string{"#rev": "revision"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":rev": attrN(revision), ":next": attrN(revision + 1)},
	}
	if len(remaining) > 0 {
		b, err := json.Marshal(remaining)
		if err != nil {
			return fmt.Errorf("dynamo: encode pending alerts: %w", err)
		}
		in.UpdateExpression = aws.String("SET #rev = :next, pending_alerts = :p")
		in.ExpressionAttributeValues[":p"] = attrS(string(b))
	}
	_, err := s.Client.UpdateItem(ctx, in)
	if _, ok := conditionFailed(err); ok {
		return uptime.ErrConflict
	}
	if err != nil {
		return storeError(err, "the uptime store (clear pending alerts)")
	}
	return nil
}

// PutRun keeps one run record (sk "RUN#<time>#<run id>"), expiring RunTTL
// after it was checked. A record already there for the same time and run is
// left as it is. Errors are Unavailable (Internal for a misconfiguration).
func (s *Uptime) PutRun(ctx context.Context, r uptime.Run) error {
	// The run id in the key keeps two runs checked in the same millisecond
	// (overlapping manual runs) apart; the time first keeps them in order.
	it := targetKey(r.Target, TargetRunPrefix+r.CheckedAt.UTC().Format(sortTime)+"#"+r.RunID)
	it["checked_at"] = timeAttr(r.CheckedAt)
	it["status"] = attrS(string(r.Status))
	it["status_code"] = attrN(int64(r.StatusCode))
	it["latency_ms"] = attrN(r.LatencyMs)
	it["attempts"] = attrN(int64(r.Attempts))
	it["run_id"] = attrS(r.RunID)
	it[AttrExpires] = attrN(r.CheckedAt.Add(uptime.RunTTL).Unix())
	for k, v := range map[string]string{"version": r.Version, "failed_condition": r.FailedCondition, "error": r.Error} {
		if v != "" {
			it[k] = attrS(v)
		}
	}
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: it, ConditionExpression: aws.String("attribute_not_exists(sk)"),
	})
	if _, ok := conditionFailed(err); err != nil && !ok {
		return storeError(err, "the uptime store (write run)")
	}
	return nil
}

// Runs returns target's run records checked in [from, to], oldest first.
// Errors are Unavailable.
func (s *Uptime) Runs(ctx context.Context, target string, from, to time.Time) ([]uptime.Run, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :a AND :b"),
		ConsistentRead:         aws.Bool(true), // the report reads the run it has just written
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": attrS(TargetPrefix + target),
			":a":  attrS(TargetRunPrefix + from.UTC().Format(sortTime)),
			// "$" sorts after "#": the runs of the last millisecond are in.
			":b": attrS(TargetRunPrefix + to.UTC().Format(sortTime) + "$"),
		},
	}
	var runs []uptime.Run
	for {
		out, err := s.Client.Query(ctx, in)
		if err != nil {
			return nil, storeError(err, "the uptime store (read runs)")
		}
		for _, raw := range out.Items {
			it := attrs(raw)
			runs = append(runs, uptime.Run{
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

func sortedKeys(m map[string]types.AttributeValue) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
