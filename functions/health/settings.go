package main

import "github.com/levqor/serverless/shared/envconfig"

// settings is the function's configuration (README's table lists it).
type settings struct {
	table, service, function string
}

// readSettings reads the configuration through r; r.Err reports every
// missing or malformed variable at once. TABLE_NAME is required at start,
// not only on the first deep request, so a misconfigured deployment fails
// its first invocation instead of answering 200 until someone asks for a
// deep check.
func readSettings(r *envconfig.Reader) settings {
	var s settings
	s.table = r.Required("TABLE_NAME", "the DynamoDB tickets table that GET /health?deep=1 checks")
	s.service, s.function = r.Common("health")
	return s
}
