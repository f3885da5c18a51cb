package invoke

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// Bus is a local stand-in for EventBridge's PutEvents, for functions run
// with AWS_ENDPOINT_URL_EVENTBRIDGE=Bus.URL: it accepts every entry, writes
// each as one JSON line to its writer and answers as EventBridge does. Any
// other EventBridge call is answered with UnknownOperationException.
type Bus struct {
	// URL is the endpoint to give the SDK.
	URL string

	srv   *http.Server
	mu    sync.Mutex
	w     io.Writer
	count atomic.Int64
}

// busEntry is one PutEvents entry as the SDK sends it.
type busEntry struct {
	Source       string          `json:"Source"`
	DetailType   string          `json:"DetailType"`
	Detail       string          `json:"Detail"`
	EventBusName string          `json:"EventBusName"`
	Time         json.RawMessage `json:"Time,omitempty"`
}

// StartBus listens on a free 127.0.0.1 port. It returns the listen error.
func StartBus(w io.Writer) (*Bus, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("invoke: bus: %w", err)
	}
	b := &Bus{URL: "http://" + l.Addr().String(), w: w}
	b.srv = &http.Server{Handler: http.HandlerFunc(b.serve)}
	go func() { _ = b.srv.Serve(l) }()
	return b, nil
}

// Count returns how many events the bus has accepted.
func (b *Bus) Count() int { return int(b.count.Load()) }

// Close stops the bus.
func (b *Bus) Close() error { return b.srv.Close() }

func (b *Bus) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"the local bus only accepts PutEvents"}`)
		return
	}
	var in struct{ Entries []busEntry }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ValidationException","message":"bad PutEvents body"}`)
		return
	}
	type entry struct {
		EventID string `json:"EventId"`
	}
	out := struct {
		Entries          []entry
		FailedEntryCount int
	}{}
	b.mu.Lock()
	for _, e := range in.Entries {
		n := b.count.Add(1)
		line := map[string]any{"bus": e.EventBusName, "source": e.Source, "detail-type": e.DetailType}
		var detail any
		if json.Unmarshal([]byte(e.Detail), &detail) == nil {
			line["detail"] = detail
		} else {
			line["detail"] = e.Detail
		}
		if enc, err := json.Marshal(line); err == nil {
			_, _ = fmt.Fprintf(b.w, "%s\n", enc)
		}
		out.Entries = append(out.Entries, entry{EventID: "local-" + strconv.FormatInt(n, 10)})
	}
	b.mu.Unlock()
	_ = json.NewEncoder(w).Encode(out)
}
