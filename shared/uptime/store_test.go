package uptime

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/probe"
	"github.com/levqor/serverless/shared/problem"
)

func TestStore(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	t.Run("unknown target", func(t *testing.T) {
		st, err := s.Load(ctx, "nobody")
		if err != nil || st.Status != Unknown || st.Revision != 0 || st.Target != "nobody" {
			t.Fatalf("Load = %+v, %v", st, err)
		}
	})

	t.Run("save, load, conditional on revision and run id", func(t *testing.T) {
		prev, _ := s.Load(ctx, "api")
		next, _ := Advance(prev, probe.Result{Target: "api", Status: probe.Down, LatencyMs: 7, Error: "timeout"}, Thresholds{DownAfter: 1}, "run-1", t0)
		if err := s.Save(ctx, prev, next); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "api")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != probe.Down || got.Revision != 1 || got.LastRunID != "run-1" || got.LastLatencyMs != 7 ||
			!got.Since.Equal(t0) || !got.FailingSince.Equal(t0) || got.ConsecutiveFailures != 1 ||
			len(got.PendingAlerts) != 1 || got.PendingAlerts[0].Type != TargetDown || got.PendingAlerts[0].Reason != "timeout" {
			t.Fatalf("round trip: %+v", got)
		}
		// Creating again over an existing item (a concurrent first run) conflicts.
		if err := s.Save(ctx, prev, next); !errors.Is(err, ErrConflict) {
			t.Fatalf("second create: %v, want ErrConflict", err)
		}
		// Same run id again (redelivery) conflicts even at the current revision.
		again, _ := Advance(got, probe.Result{Target: "api", Status: probe.Up}, Thresholds{}, "run-1", t0.Add(time.Hour))
		if err := s.Save(ctx, got, again); !errors.Is(err, ErrConflict) {
			t.Fatalf("same run id: %v, want ErrConflict", err)
		}
		// A stale revision conflicts.
		n2, _ := Advance(got, probe.Result{Target: "api", Status: probe.Up}, Thresholds{}, "run-2", t0.Add(time.Hour))
		n2.Revision = 5
		if err := s.Save(ctx, State{Target: "api", Revision: 4}, n2); !errors.Is(err, ErrConflict) {
			t.Fatalf("stale revision: %v, want ErrConflict", err)
		}
		// The right revision and a new run id succeed; fields cleared are removed.
		n3, _ := Advance(got, probe.Result{Target: "api", Status: probe.Up}, Thresholds{}, "run-2", t0.Add(time.Hour))
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
		next, _ := Advance(prev, probe.Result{Target: "web", Status: probe.Down}, Thresholds{DownAfter: 1}, "run-a", t0)
		if err := s.Save(ctx, prev, next); err != nil {
			t.Fatal(err)
		}
		if err := s.ClearPending(ctx, "web", next.Revision+1); err != nil { // a stale reader
			t.Fatal(err)
		}
		if st, _ := s.Load(ctx, "web"); len(st.PendingAlerts) != 1 {
			t.Fatalf("cleared at another revision: %+v", st)
		}
		if err := s.ClearPending(ctx, "web", next.Revision); err != nil {
			t.Fatal(err)
		}
		st, _ := s.Load(ctx, "web")
		if len(st.PendingAlerts) != 0 || st.Revision != next.Revision+1 {
			t.Fatalf("not cleared, or revision not bumped: %+v", st)
		}
		// A run that read the alerts as pending before the clear cannot write them back.
		late, _ := Advance(next, probe.Result{Target: "web", Status: probe.Down}, Thresholds{DownAfter: 1}, "run-b", t0.Add(time.Hour))
		if err := s.Save(ctx, next, late); !errors.Is(err, ErrConflict) {
			t.Fatalf("stale save after clear: %v", err)
		}
	})

	t.Run("a run id applied before a later run is still refused", func(t *testing.T) {
		st, _ := s.Load(ctx, "late")
		for i, id := range []string{"run-1", "run-2"} {
			next, _ := Advance(st, probe.Result{Target: "late", Status: probe.Up}, Thresholds{}, id, t0.Add(time.Duration(i)*time.Hour))
			if err := s.Save(ctx, st, next); err != nil {
				t.Fatal(err)
			}
			st, _ = s.Load(ctx, "late")
		}
		if !st.Applied("run-1") || st.Applied("run-3") || len(st.RecentRunIDs) != 2 {
			t.Fatalf("recent runs: %+v", st.RecentRunIDs)
		}
		// Even a writer that skipped the check is stopped by the condition.
		again, _ := Advance(st, probe.Result{Target: "late", Status: probe.Down}, Thresholds{}, "run-1", t0.Add(2*time.Hour))
		if err := s.Save(ctx, st, again); !errors.Is(err, ErrConflict) {
			t.Fatalf("late redelivery saved: %v", err)
		}
	})

	t.Run("runs kept in time order with a 90-day TTL", func(t *testing.T) {
		for i, st := range []probe.Status{probe.Up, probe.Down, probe.Degraded} {
			at := t0.Add(time.Duration(2-i) * time.Hour) // written newest first
			r := Run{Target: "hist", CheckedAt: at, Status: st, StatusCode: 200, LatencyMs: int64(i), Attempts: 1, RunID: "r", Version: "1.0.0"}
			if err := s.PutRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// The same time again keeps the first record.
		if err := s.PutRun(ctx, Run{Target: "hist", CheckedAt: t0, Status: probe.Down, RunID: "dup"}); err != nil {
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
		out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: targetKey("hist", "RUN#"+t0.Format(skTime))})
		if err != nil {
			t.Fatal(err)
		}
		exp, ok := out.Item["expires_at"].(*types.AttributeValueMemberN)
		if !ok || exp.Value != itoa(t0.Add(90*24*time.Hour).Unix()) {
			t.Fatalf("expires_at = %#v", out.Item["expires_at"])
		}
	})

	t.Run("unreachable table is Unavailable", func(t *testing.T) {
		bad := &Store{Client: s.Client, Table: "no-such-table"}
		_, err := bad.Load(ctx, "api")
		if problem.CodeOf(err) != problem.Unavailable {
			t.Fatalf("err = %v, want Unavailable", err)
		}
	})
}

func itoa(n int64) string { return num(n).(*types.AttributeValueMemberN).Value }
