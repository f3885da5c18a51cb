package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
	st.IncidentStart = it.time("incident_start")
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
	for _, f := range [...]struct {
		k string
		t time.Time
	}{{"failing_since", next.FailingSince}, {"incident_start", next.IncidentStart}} {
		if f.t.IsZero() {
			remove = append(remove, f.k)
		} else {
			set[f.k] = timeAttr(f.t)
		}
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
	for _, k := range slices.Sorted(maps.Keys(set)) {
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
	for pages := dynamodb.NewQueryPaginator(s.Client, in); pages.HasMorePages(); {
		out, err := pages.NextPage(ctx)
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
	}
	return runs, nil
}

// AddToDay counts r into its day's roll-up (sk "DAY#<date>") with one
// conditional UpdateItem: the run id joins the item's set of counted runs,
// and a run already in it is not counted again. The item expires
// uptime.DayTTL after its day. Errors are Unavailable (Internal for a
// misconfiguration).
func (s *Uptime) AddToDay(ctx context.Context, r uptime.Run) error {
	day := uptime.DayOf(r.CheckedAt)
	start, _ := time.Parse(uptime.DayFormat, day)
	b := func(ok bool) types.AttributeValue {
		if ok {
			return attrN(1)
		}
		return attrN(0)
	}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      targetKey(r.Target, TargetDayPrefix+day),
		UpdateExpression:         aws.String("ADD #runs :one, #down :down, #degraded :degraded, #lat :lat, #ids :id SET #exp = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(#ids) OR NOT contains(#ids, :rid)"),
		ExpressionAttributeNames: dayNames,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":      attrN(1),
			":down":     b(r.Status == probe.Down),
			":degraded": b(r.Status == probe.Degraded),
			":lat":      attrN(r.LatencyMs),
			":id":       &types.AttributeValueMemberSS{Value: []string{r.RunID}},
			":rid":      attrS(r.RunID),
			":exp":      attrN(start.Add(uptime.DayTTL).Unix()),
		},
	})
	if _, ok := conditionFailed(err); err != nil && !ok {
		return storeError(err, "the uptime store (write day)")
	}
	return nil
}

// Days returns target's roll-ups for dates in [from, to], oldest first:
// one Query of at most as many small items as days. Errors are
// Unavailable.
func (s *Uptime) Days(ctx context.Context, target, from, to string) ([]uptime.Day, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :a AND :b"),
		// The counted run ids are for idempotency only: not read back.
		ProjectionExpression: aws.String("sk, runs, down, degraded, latency_ms_sum"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": attrS(TargetPrefix + target),
			":a":  attrS(TargetDayPrefix + from),
			":b":  attrS(TargetDayPrefix + to),
		},
	}
	var days []uptime.Day
	for pages := dynamodb.NewQueryPaginator(s.Client, in); pages.HasMorePages(); {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, storeError(err, "the uptime store (read days)")
		}
		for _, raw := range out.Items {
			it := attrs(raw)
			days = append(days, uptime.Day{
				Date: strings.TrimPrefix(it.str(AttrSK), TargetDayPrefix), Runs: int(it.num("runs")),
				Down: int(it.num("down")), Degraded: int(it.num("degraded")), LatencyMsSum: it.num("latency_ms_sum"),
			})
		}
	}
	return days, nil
}

// dayNames are a roll-up's attributes, named in expressions through
// placeholders (some are DynamoDB reserved words).
var dayNames = map[string]string{"#runs": "runs", "#down": "down", "#degraded": "degraded", "#lat": "latency_ms_sum", "#ids": "run_ids", "#exp": AttrExpires}

func incidentKey(target string, start time.Time) map[string]types.AttributeValue {
	return targetKey(target, TargetIncidentPrefix+start.UTC().Format(sortTime))
}

// OpenIncident records an incident that began at start (sk
// "INC#<start>"), once: an incident already there is left as it is. It
// expires with the run history. Errors are Unavailable.
func (s *Uptime) OpenIncident(ctx context.Context, target string, start time.Time) error {
	it := incidentKey(target, start)
	it["start"] = timeAttr(start)
	it[AttrExpires] = attrN(start.Add(uptime.RunTTL).Unix())
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: it, ConditionExpression: aws.String("attribute_not_exists(sk)"),
	})
	if _, ok := conditionFailed(err); err != nil && !ok {
		return storeError(err, "the uptime store (open incident)")
	}
	return nil
}

// CloseIncident sets the end of the incident that began at start, once:
// an end already there is kept (a replayed close never moves it), and an
// incident never opened is recorded closed. Errors are Unavailable.
func (s *Uptime) CloseIncident(ctx context.Context, target string, start, end time.Time) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      incidentKey(target, start),
		ConditionExpression:      aws.String("attribute_not_exists(#end)"),
		UpdateExpression:         aws.String("SET #start = :start, #end = :end, expires_at = :exp"),
		ExpressionAttributeNames: map[string]string{"#start": "start", "#end": "end"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":start": timeAttr(start), ":end": timeAttr(end), ":exp": attrN(end.Add(uptime.RunTTL).Unix()),
		},
	})
	if _, ok := conditionFailed(err); err != nil && !ok {
		return storeError(err, "the uptime store (close incident)")
	}
	return nil
}

// Incidents returns target's most recent incidents, newest first, at most
// limit (one Query). Errors are Unavailable.
func (s *Uptime) Incidents(ctx context.Context, target string, limit int) ([]uptime.Incident, error) {
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": attrS(TargetPrefix + target), ":p": attrS(TargetIncidentPrefix),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, storeError(err, "the uptime store (read incidents)")
	}
	incs := make([]uptime.Incident, 0, len(out.Items))
	for _, raw := range out.Items {
		it := attrs(raw)
		in := uptime.Incident{Start: it.time("start"), Ongoing: true}
		if end := it.time("end"); !end.IsZero() {
			in.End, in.Ongoing = &end, false
			in.DurationSeconds = int64(end.Sub(in.Start) / time.Second)
		}
		incs = append(incs, in)
	}
	return incs, nil
}

// PutDay writes a day's roll-up as given, replacing the one there and its
// counted run ids: for seeding (the tests, a backfill tool), never for a
// day whose runs are still being counted, where a redelivered run would
// count again. Errors are Unavailable (Internal for a misconfiguration).
func (s *Uptime) PutDay(ctx context.Context, target string, d uptime.Day) error {
	start, err := time.Parse(uptime.DayFormat, d.Date)
	if err != nil {
		return fmt.Errorf("dynamo: day %q: %w", d.Date, err)
	}
	it := targetKey(target, TargetDayPrefix+d.Date)
	it["runs"], it["down"], it["degraded"] = attrN(int64(d.Runs)), attrN(int64(d.Down)), attrN(int64(d.Degraded))
	it["latency_ms_sum"] = attrN(d.LatencyMsSum)
	it[AttrExpires] = attrN(start.Add(uptime.DayTTL).Unix())
	if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it}); err != nil {
		return storeError(err, "the uptime store (write day)")
	}
	return nil
}
