package main

import (
	"strings"

	"github.com/levqor/serverless/shared/envconfig"
)

// settings is the function's configuration (README's table lists it).
type settings struct {
	table, webhook    string
	releases          map[string]bool // nil: every plainly named release is its own metric
	service, function string
}

// readSettings reads the configuration through r; r.Err reports every
// missing or malformed variable at once.
func readSettings(r *envconfig.Reader) settings {
	var s settings
	s.table = r.Required("TABLE_NAME", "the table holding the CLIENTERR# alert gate")
	s.webhook = r.String("ERROR_WEBHOOK_URL", "")
	for _, rel := range strings.Split(r.String("CLIENT_RELEASES", ""), ",") {
		if rel = strings.TrimSpace(rel); rel != "" {
			if s.releases == nil {
				s.releases = map[string]bool{}
			}
			s.releases[rel] = true
		}
	}
	s.service, s.function = r.Common("clientlogs")
	return s
}
