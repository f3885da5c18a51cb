package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/eventbus"
	"github.com/levqor/serverless/shared/monitor"
)

func TestRunner(t *testing.T) {
	putOK := awsJSON("1.1", `{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}`)
	drifted := CodePolicy()
	drifted.Policy.TrialDays = 14
	cases := []struct {
		name      string
		code      Code
		put       reply
		published bool
		wantErr   string
	}{
		{"in sync publishes nothing", CodePolicy(), putOK, false, ""},
		{"drift publishes DriftDetected", drifted, putOK, true, ""},
		{"publish failure is returned", drifted, awsJSONError("1.1", 400, "ThrottlingException", "Rate exceeded"), true, "publish DriftDetected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bus := newFake(t, targetOp, map[string][]reply{"PutEvents": {tc.put}})
			var logs bytes.Buffer
			code := tc.code
			r := &Runner{
				Scanner: &Scanner{Baseline: baseline(t), Code: &code},
				Bus:     &eventbus.Bus{Client: eventsClient(bus.URL()), Name: "levqor-dev"},
				Monitor: monitor.Log{Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
			}
			rep, err := r.Run(context.Background(), Target{}, "cid-12345678")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Run error = %v, want %q", err, tc.wantErr)
			}
			if got := bus.count("PutEvents") > 0; got != tc.published {
				t.Fatalf("published = %v, want %v", got, tc.published)
			}
			if !tc.published {
				if logs.Len() != 0 {
					t.Errorf("monitor told of an in-sync scan: %s", logs.String())
				}
				return
			}
			var in struct {
				Entries []struct{ Source, DetailType, Detail, EventBusName string }
			}
			if err := json.Unmarshal([]byte(bus.body("PutEvents", 0)), &in); err != nil || len(in.Entries) != 1 {
				t.Fatalf("PutEvents body %q: %v", bus.body("PutEvents", 0), err)
			}
			e := in.Entries[0]
			var d DriftDetectedDetail
			_ = json.Unmarshal([]byte(e.Detail), &d)
			if e.Source != "levqor.drift" || e.DetailType != "DriftDetected" || e.EventBusName != "levqor-dev" ||
				len(d.Failed) != 1 || d.Failed[0] != "policy.trial" || d.Baseline != "v12.12" || d.Summary != rep.Summary {
				t.Errorf("event = %+v detail %+v", e, d)
			}
			if !strings.Contains(logs.String(), `"category":"drift"`) || !strings.Contains(logs.String(), "policy.trial") {
				t.Errorf("monitor log = %s", logs.String())
			}
		})
	}
}
