// Package apidoc holds the API's OpenAPI 3.1 document (openapi.json): every
// route, its schemas, RFC 9457 problem answers, headers, security and the
// seed's examples. The health function serves it at GET /openapi.json;
// infra/contract checks the API's answers and template.yaml's routes
// against it.
package apidoc

import _ "embed"

// Document is the OpenAPI document, as served: a string, so answering
// it copies nothing.
//
//go:embed openapi.json
var Document string

// ContentType is Document's media type.
const ContentType = "application/json"
