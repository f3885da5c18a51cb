package dynamo_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/shared/clientlogs"
	"github.com/levqor/serverless/shared/dynamo"
	"github.com/levqor/serverless/shared/problem"
)

var _ clientlogs.Gate = (*dynamo.AlertGate)(nil)

func TestAlertGate(t *testing.T) {
	ep := dynamolocal.Endpoint(t)
	client := dynamolocal.Client(t, ep)
	g := &dynamo.AlertGate{Client: client, Table: dynamolocal.Table(t, client)}
	ctx := context.Background()
	// The clock starts at the real time: DynamoDB Local applies the
	// table's TTL, so an entry written "in the past" vanishes while the
	// test runs.
	t0 := time.Now().UTC().Truncate(time.Second)
	w := clientlogs.AlertWindow
	steps := []struct {
		name string
		fp   string
		at   time.Time
		want bool
	}{
		{"first alert", "aaaa", t0, true},
		{"same fingerprint inside the window", "aaaa", t0.Add(w - time.Second), false},
		{"another fingerprint", "bbbb", t0.Add(time.Minute), true},
		{"after the window (TTL has not run yet)", "aaaa", t0.Add(w), true},
		{"quiet again", "aaaa", t0.Add(w + time.Minute), false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got, err := g.Admit(ctx, s.fp, s.at, w)
			if err != nil || got != s.want {
				t.Errorf("Admit = %v, %v; want %v", got, err, s.want)
			}
		})
	}
	t.Run("concurrent browsers: one alert", func(t *testing.T) {
		var admitted atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if ok, err := g.Admit(ctx, "cccc", t0, w); err != nil {
					t.Error(err)
				} else if ok {
					admitted.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := admitted.Load(); n != 1 {
			t.Errorf("%d admitted, want 1", n)
		}
	})
	t.Run("missing table is an internal error", func(t *testing.T) {
		bad := &dynamo.AlertGate{Client: client, Table: "no-such-table"}
		if _, err := bad.Admit(ctx, "dddd", t0, w); problem.CodeOf(err) != problem.Internal {
			t.Errorf("err %v", err)
		}
	})
}
