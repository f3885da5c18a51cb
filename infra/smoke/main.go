// Command smoke runs the seed's verification commands against a running
// stack (`make smoke API_URL=<url>`): the local one (`make dev`) or one just
// deployed with `sam deploy` (its ApiUrl output). It checks GET /health, the
// seed's ticket, a bad request, that the frontend client logger loads, the
// status page and the OpenAPI document,
// printing each result, and exits 1 on the
// first mismatch (2 on bad usage): the seed's deployment checklist, automated.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/levqor/serverless/infra/smoke/check"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:3000", "base URL of the API (the stack's ApiUrl output for a deployed stack)")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for each request")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	base := strings.TrimRight(*url, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		fmt.Fprintf(stderr, "smoke: -url %q must start with http:// or https://\n", *url)
		return 2
	}
	client := &http.Client{Timeout: *timeout}
	steps := []struct {
		name string
		run  func(*http.Client, string) (map[string]any, error)
	}{
		{"GET  /health", check.Health},
		{"POST /api/support/tickets (seed request)", check.Ticket},
		{"POST /api/support/tickets without subject -> 400 problem", check.BadTicket},
		{"GET  /client-logger.js loads; POST /api/client-logs takes a batch", check.ClientLogger},
		{"GET  /status and /status.json", check.StatusPage},
		{"GET  /openapi.json", check.OpenAPI},
	}
	for _, s := range steps {
		doc, err := s.run(client, base)
		if err != nil {
			fmt.Fprintf(stderr, "FAIL %s\n     %v\n", s.name, err)
			return 1
		}
		b, _ := json.Marshal(doc)
		fmt.Fprintf(stdout, "ok   %s %s\n", s.name, b)
	}
	fmt.Fprintf(stdout, "smoke: %s matches the seed's verification commands\n", base)
	return 0
}
