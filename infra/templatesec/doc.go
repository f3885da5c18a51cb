// Package templatesec checks template.yaml against the project's security
// rules: least-privilege roles per function, key-prefix-limited table
// writes, IAM-protected ops routes, throttling, reserved concurrency,
// dead-letter handling for schedules, failure destinations their senders can
// write, alarm topics CloudWatch can publish to, log retention and a
// retained table.
//
// The template is read with intrinsics left unresolved, so a rule can see
// that a Resource is !GetAtt TicketsTable.Arn rather than a resolved string.
//
// The checks are tests: run them with `go test ./infra/templatesec`.
package templatesec
