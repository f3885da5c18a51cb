package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/levqor/serverless/infra/testutil"
)

// BenchmarkCheck measures one check of a healthy target over loopback: the
// request, reading and decoding the JSON body, and the default target's two
// conditions. The network is the machine's own; no retries happen.
func BenchmarkCheck(b *testing.B) {
	testutil.LambdaHeap(b, "keepalive")
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok","version":"1.0.0","build":"dev","timestamp":1700000000,"uptime_seconds":12345}`))
	}))
	defer s.Close()
	tg, err := DefaultTarget(s.URL, "1.0.0")
	if err != nil {
		b.Fatal(err)
	}
	c := &Checker{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Check(ctx, tg); r.Status != Up {
			b.Fatalf("%+v", r)
		}
	}
}
