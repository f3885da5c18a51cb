package dynamo_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/uptime"
)

func TestUptime(t *testing.T) {
	s := newUptime(t)
	ctx := context.Background()

	t.Run("unknown target", func(t *testing.T) {
		st, err := s.Load(ctx, "nobody")
		if err != nil || st.Status != uptime.Unknown || st.Revision != 0 || st.Target != "nobody" {
			t.Fatalf("Load = %+v, %v", st, err)
		}
	})

	t.Run("save, load, conditional on revision and run id", func(t *testing.T) {
		prev, _ := s.Load(ctx, "api")
		next, _ := uptime.Advance(prev, probe.Result{Target: "api", Status: probe.Down, LatencyMs: 7, Error: "timeout"}, uptime.Thresholds{DownAfter: 1}, "run-1", t0)
		if err := s.Save(ctx, prev, next); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "api")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != probe.Down || got.Revision != 1 || got.LastRunID != "run-1" || got.LastLatencyMs != 7 ||
			!got.Since.Equal(t0) || !got.FailingSince.Equal(t0) || got.ConsecutiveFailures != 1 ||
			len(got.PendingAlerts) != 1 || got.PendingAlerts[0].Type != uptime.TargetDown || got.PendingAlerts[0].Reason != "timeout" {
			t.Fatalf("round trip: %+v", got)
		}
		// Creating again over an existing item (a concurrent first run) conflicts.
		if err := s.Save(ctx, prev, next); !errors.Is(err, uptime.ErrConflict) {
			t.Fatalf("second create: %v, want uptime.ErrConflict", err)
		}
		// Same run id again (redelivery) conflicts even at the current revision.
		again, _ := uptime.Advance(got, probe.Result{Target: "api", Status: probe.Up}, uptime.Thresholds{}, "run-1", t0.Add(time.Hour))
		if err := s.Save(ctx, got, again); !errors.Is(err, uptime.ErrConflict) {
			t.Fatalf("same run id: %v, want uptime.ErrConflict", err)
		}
		// A stale revision conflicts.
		n2, _ := uptime.Advance(got, probe.Result{Target: "api", Status: probe.Up}, uptime.Thresholds{}, "run-2", t0.Add(time.Hour))
		n2.Revision = 5
		if err := s.Save(ctx, uptime.State{Target: "api", Revision: 4}, n2); !errors.Is(err, uptime.ErrConflict) {
			t.Fatalf("stale revision: %v, want uptime.ErrConflict", err)
		}
		// The right revision and a new run id succeed; fields cleared are removed.
		n3, _ := uptime.Advance(got, probe.Result{Target: "api", Status: probe.Up}, uptime.Thresholds{}, "run-2", t0.Add(time.Hour))
		n3.PendingAlerts = nil
		if err := s.Save(ctx, got, n3); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Load(ctx, "api")
		if got.Status != probe.Up || got.Revision != 2 || !got.FailingSince.IsZero() || got.PendingAlerts != nil {
			t.Fatalf("after recovery: %+v", got)
		}
	})

	t.Run("clear pending only at the revision read", func(t *testing.T) {
		prev, _ := s.Load(ctx, "web")
		next, _ := uptime.Advance(prev, probe.Result{Target: "web", Status: probe.Down}, uptime.Thresholds{DownAfter: 1}, "run-a", t0)
		if err := s.Save(ctx, prev, next); err != nil {
			t.Fatal(err)
		}
		if err := s.ClearPending(ctx, "web", next.Revision+1, nil); !errors.Is(err, uptime.ErrConflict) { // a stale reader
			t.Fatalf("stale clear: %v, want ErrConflict", err)
		}
		if st, _ := s.Load(ctx, "web"); len(st.PendingAlerts) != 1 {
			t.Fatalf("cleared at another revision: %+v", st)
		}
		if err := s.ClearPending(ctx, "web", next.Revision, nil); err != nil {
			t.Fatal(err)
		}
		st, _ := s.Load(ctx, "web")
		if len(st.PendingAlerts) != 0 || st.Revision != next.Revision+1 {
			t.Fatalf("not cleared, or revision not bumped: %+v", st)
		}
		// A run that read the alerts as pending before the clear cannot write them back.
		late, _ := uptime.Advance(next, probe.Result{Target: "web", Status: probe.Down}, uptime.Thresholds{DownAfter: 1}, "run-b", t0.Add(time.Hour))
		if err := s.Save(ctx, next, late); !errors.Is(err, uptime.ErrConflict) {
			t.Fatalf("stale save after clear: %v", err)
		}
	})

	t.Run("a run id applied before a later run is still refused", func(t *testing.T) {
		st, _ := s.Load(ctx, "late")
		for i, id := range []string{"run-1", "run-2"} {
			next, _ := uptime.Advance(st, probe.Result{Target: "late", Status: probe.Up}, uptime.Thresholds{}, id, t0.Add(time.Duration(i)*time.Hour))
			if err := s.Save(ctx, st, next); err != nil {
				t.Fatal(err)
			}
			st, _ = s.Load(ctx, "late")
		}
		if !st.Applied("run-1") || st.Applied("run-3") || len(st.RecentRunIDs) != 2 {
			t.Fatalf("recent runs: %+v", st.RecentRunIDs)
		}
		// Even a writer that skipped the check is stopped by the condition.
		again, _ := uptime.Advance(st, probe.Result{Target: "late", Status: probe.Down}, uptime.Thresholds{}, "run-1", t0.Add(2*time.Hour))
		if err := s.Save(ctx, st, again); !errors.Is(err, uptime.ErrConflict) {
			t.Fatalf("late redelivery saved: %v", err)
		}
	})

	t.Run("runs kept in time order with a 90-day TTL", func(t *testing.T) {
		for i, st := range []probe.Status{probe.Up, probe.Down, probe.Degraded} {
			at := t0.Add(time.Duration(2-i) * time.Hour) // written newest first
			r := uptime.Run{Target: "hist", CheckedAt: at, Status: st, StatusCode: 200, LatencyMs: int64(i), Attempts: 1, RunID: "r", Version: "1.0.0"}
			if err := s.PutRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// The same time and run again keeps the first record.
		if err := s.PutRun(ctx, uptime.Run{Target: "hist", CheckedAt: t0, Status: probe.Down, RunID: "r"}); err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs(ctx, "hist", t0.Add(-time.Minute), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || !runs[0].CheckedAt.Equal(t0) || runs[0].Status != probe.Degraded || runs[0].RunID != "r" ||
			runs[1].Status != probe.Down || runs[1].Version != "1.0.0" {
			t.Fatalf("runs = %+v", runs)
		}
		out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: dynamo.TargetPrefix + "hist"}, "sk": &types.AttributeValueMemberS{Value: dynamo.TargetRunPrefix + t0.Format("2006-01-02T15:04:05.000Z") + "#r"}}})
		if err != nil {
			t.Fatal(err)
		}
		exp, ok := out.Item["expires_at"].(*types.AttributeValueMemberN)
		if !ok || exp.Value != itoa(t0.Add(90*24*time.Hour).Unix()) {
			t.Fatalf("expires_at = %#v", out.Item["expires_at"])
		}
	})

	t.Run("a missing table is Internal", func(t *testing.T) {
		bad := &dynamo.Uptime{Client: s.Client, Table: "no-such-table"}
		_, err := bad.Load(ctx, "api")
		if problem.CodeOf(err) != problem.Internal {
			t.Fatalf("err = %v, want Internal (a missing table is a misconfiguration, not an outage)", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// t0 is the uptime tests' start: today's midnight (UTC), as DynamoDB Local
// applies the table's TTL to the real clock and would drop records
// written with a fixed date once it is 90 days past.
var t0 = time.Now().UTC().Truncate(24 * time.Hour)

// newUptime returns an Uptime store on a fresh table in DynamoDB Local.
func newUptime(t *testing.T) *dynamo.Uptime {
	t.Helper()
	client := dynamolocal.Client(t, dynamolocal.Endpoint(t))
	return &dynamo.Uptime{Client: client, Table: dynamolocal.Table(t, client)}
}
