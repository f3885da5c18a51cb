package runtimeapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// client plays a function's runtime loop once: it takes the next event and
// answers with respond(event), on the response or the error path.
func client(t *testing.T, a *Server, asError bool, respond func([]byte) string) {
	t.Helper()
	base := "http://" + a.Addr() + "/2018-06-01/runtime/invocation/"
	resp, err := http.Get(base + "next")
	if err != nil {
		t.Error(err)
		return
	}
	ev, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	dl, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if id == "" || err != nil || dl < time.Now().UnixMilli() {
		t.Errorf("headers %v", resp.Header)
	}
	path := "/response"
	if asError {
		path = "/error"
	}
	r2, err := http.Post(base+id+path, "application/json", strings.NewReader(respond(ev)))
	if err != nil {
		t.Error(err)
		return
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusAccepted {
		t.Errorf("status %d", r2.StatusCode)
	}
}

func TestInvoke(t *testing.T) {
	cases := []struct {
		name    string
		asError bool
		wantErr bool
	}{{"response", false, false}, {"function error", true, true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			arrived := a.Expect()
			go client(t, a, tc.asError, func(ev []byte) string { return `{"echo":` + string(ev) + `}` })
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			out, err := a.Invoke(ctx, []byte(`{"n":1}`))
			select {
			case <-arrived:
			default:
				t.Error("first /next not signalled")
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if !tc.wantErr && string(out) != `{"echo":{"n":1}}` {
				t.Errorf("out %s", out)
			}
		})
	}
}

func TestInvokeHonoursContext(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Invoke(ctx, []byte(`{}`)); err == nil {
		t.Error("no error with nobody polling and a cancelled context")
	}
}

func TestHTTPEvent(t *testing.T) {
	var ev struct {
		Version, RouteKey, RawPath, RawQueryString, Body string
		RequestContext                                   struct{ HTTP struct{ Method, Path string } }
	}
	if err := json.Unmarshal(HTTPEvent("GET", "/health?deep=1", nil, ""), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "2.0" || ev.RouteKey != "GET /health" || ev.RawPath != "/health" || ev.RawQueryString != "deep=1" || ev.RequestContext.HTTP.Method != "GET" {
		t.Errorf("%+v", ev)
	}
}
