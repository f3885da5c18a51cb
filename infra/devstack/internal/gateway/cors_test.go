package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORS(t *testing.T) {
	fn := &fakeFunction{reply: `{"statusCode":200,"headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"body":"{}"}`}
	g, err := New([]Route{{Method: "POST", Path: "/api/support/tickets", Name: "Fn", Function: fn}})
	if err != nil {
		t.Fatal(err)
	}
	g.CORS = &CORS{
		AllowOrigins: []string{"https://levqor.ai"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"content-type", "idempotency-key"}, ExposeHeaders: []string{"x-correlation-id"}, MaxAge: 600,
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	tests := []struct {
		name, method, origin, reqMethod string
		wantStatus                      int
		want                            map[string]string
	}{
		{"preflight allowed", "OPTIONS", "https://levqor.ai", "POST", 204, map[string]string{
			"Access-Control-Allow-Origin": "https://levqor.ai", "Access-Control-Allow-Methods": "GET,POST",
			"Access-Control-Allow-Headers": "content-type,idempotency-key", "Access-Control-Max-Age": "600"}},
		{"preflight other origin", "OPTIONS", "https://evil.example", "POST", 204, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight method not allowed", "OPTIONS", "https://levqor.ai", "DELETE", 204, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"OPTIONS without preflight headers", "OPTIONS", "", "", 404, nil},
		{"request from allowed origin", "POST", "https://levqor.ai", "", 200, map[string]string{
			"Access-Control-Allow-Origin": "https://levqor.ai", "Access-Control-Expose-Headers": "x-correlation-id"}},
		{"request from other origin: function's CORS header dropped", "POST", "https://evil.example", "", 200, map[string]string{"Access-Control-Allow-Origin": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+"/api/support/tickets", nil)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.reqMethod != "" {
				req.Header.Set("Access-Control-Request-Method", tc.reqMethod)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
