package awsbus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/levqor/serverless/shared/eventbus"
)

// entry is one PutEvents request entry as it arrives on the wire.
type entry struct {
	EventBusName, Source, DetailType, Detail string
	Time                                     float64
}

// stub is an in-process EventBridge answering PutEvents the way AWS does
// (awsJson1_1), so the real SDK client serialises and signs every call.
type stub struct {
	mu      sync.Mutex
	calls   [][]entry
	status  int    // HTTP status to answer, 200 when zero
	failAll string // when set, every entry fails with this error code
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		http.Error(w, "unexpected call "+r.Header.Get("X-Amz-Target"), 400)
		return
	}
	var in struct{ Entries []entry }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, in.Entries)
	s.mu.Unlock()
	if s.status != 0 && s.status != 200 {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(s.status)
		w.Write([]byte(`{"__type":"InternalException","message":"down"}`))
		return
	}
	out := struct {
		FailedEntryCount int
		Entries          []map[string]string
	}{}
	for i := range in.Entries {
		if s.failAll != "" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, map[string]string{"ErrorCode": s.failAll, "ErrorMessage": "refused"})
		} else {
			out.Entries = append(out.Entries, map[string]string{"EventId": "id-" + string(rune('a'+i))})
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func client(url string) *eventbridge.Client {
	return eventbridge.NewFromConfig(aws.Config{
		Region:           "eu-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	}, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(url) })
}

func events(n int) []eventbus.Event {
	out := make([]eventbus.Event, n)
	for i := range out {
		out[i] = eventbus.Event{Source: "levqor.support", DetailType: "TicketCreated", Detail: map[string]any{"ticket_id": "TKT-0000000" + string(rune('0'+i%10))}}
	}
	return out
}

func TestPublish(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name    string
		stub    *stub
		events  []eventbus.Event
		batches []int
		wantErr func(error) bool
	}{
		{"one", &stub{}, events(1), []int{1}, nil},
		{"none", &stub{}, nil, nil, nil},
		{"ten is one call", &stub{}, events(10), []int{10}, nil},
		{"twenty-five in three", &stub{}, events(25), []int{10, 10, 5}, nil},
		{"entries refused", &stub{failAll: "ThrottlingException"}, events(2), []int{2}, func(err error) bool {
			var fe *FailedError
			return errors.As(err, &fe) && fe.Failed == 2 && fe.First == "ThrottlingException"
		}},
		{"bus down", &stub{status: 500}, events(1), []int{1}, func(err error) bool {
			var fe *FailedError
			return err != nil && !errors.As(err, &fe) && strings.Contains(err.Error(), "put events")
		}},
		{"unencodable detail", &stub{}, []eventbus.Event{{Source: "s", DetailType: "Bad", Detail: make(chan int)}}, nil, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "encode Bad")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.stub)
			defer srv.Close()
			b := &Bus{Client: client(srv.URL), Name: "levqor-test", Now: func() time.Time { return fixed }}
			err := b.Publish(context.Background(), tc.events...)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if tc.wantErr != nil && !tc.wantErr(err) {
				t.Fatalf("Publish error %v not as expected", err)
			}
			if len(tc.stub.calls) != len(tc.batches) {
				t.Fatalf("%d calls, want %d", len(tc.stub.calls), len(tc.batches))
			}
			for i, c := range tc.stub.calls {
				if len(c) != tc.batches[i] {
					t.Errorf("call %d has %d entries, want %d", i, len(c), tc.batches[i])
				}
				for _, e := range c {
					if e.EventBusName != "levqor-test" || e.Source != "levqor.support" || e.DetailType != "TicketCreated" {
						t.Errorf("entry %+v", e)
					}
					if !strings.HasPrefix(e.Detail, `{"ticket_id":"TKT-`) {
						t.Errorf("detail %q", e.Detail)
					}
					if int64(e.Time) != fixed.Unix() {
						t.Errorf("time %v, want the clock's %v", e.Time, fixed.Unix())
					}
				}
			}
		})
	}
}

// TestPublishKeepsEventTime: an event's own time wins over the clock.
func TestPublishKeepsEventTime(t *testing.T) {
	var s stub
	srv := httptest.NewServer(&s)
	defer srv.Close()
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	b := &Bus{Client: client(srv.URL), Name: "levqor-test"}
	if err := b.Publish(context.Background(), eventbus.Event{Source: "s", DetailType: "d", Detail: 1, Time: at}); err != nil {
		t.Fatal(err)
	}
	if got := int64(s.calls[0][0].Time); got != at.Unix() {
		t.Errorf("time %d, want %d", got, at.Unix())
	}
}
