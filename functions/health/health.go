package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/levqor/serverless/shared/buildinfo"
)

// Report is the health document, fields in the SPEC's order.
type Report struct {
	Status        string  `json:"status"`
	Version       string  `json:"version"`
	Build         string  `json:"build"`
	Timestamp     int64   `json:"timestamp"`
	UptimeSeconds int64   `json:"uptime_seconds"`
	Checks        []Check `json:"checks,omitempty"`
}

// Check is one dependency's result in a deep report. Error is a short,
// caller-safe reason ("timeout", "unreachable", "table not found", "table
// CREATING"); the underlying error is only logged.
type Check struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

// Report and check statuses.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	CheckOK        = "ok"
	CheckFail      = "fail"
	// CheckDynamoDB names the tickets table check.
	CheckDynamoDB = "dynamodb"
)

// TableDescriber is the one DynamoDB call the deep check makes; the real
// *dynamodb.Client satisfies it and tests substitute a failing stub.
type TableDescriber interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// Prober builds health reports. Its zero value is not usable: Table and DB
// are needed for deep reports; Now and Started default to the real clock and
// buildinfo.Started.
type Prober struct {
	Table string
	DB    TableDescriber
	// Timeout bounds each dependency check (default 2s) so a hung dependency
	// answers 503 well inside API Gateway's 30 s and the function's timeout.
	Timeout time.Duration
	// CacheFor reuses a deep result for this long (default 5s; negative
	// disables) so a public ?deep=1 flood cannot turn into a DescribeTable
	// flood against the account's control-plane limits.
	CacheFor time.Duration
	Now      func() time.Time
	Started  time.Time

	mu     sync.Mutex
	cached []Check
	at     time.Time
}

const (
	defaultTimeout  = 2 * time.Second
	defaultCacheFor = 5 * time.Second
)

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Report returns the health report; with deep, every dependency is checked
// and one failing makes the status degraded. It never returns an error: a
// failing dependency is part of the answer, logged to l with its cause.
func (p *Prober) Report(ctx context.Context, deep bool, l *slog.Logger) Report {
	now := p.now()
	started := p.Started
	if started.IsZero() {
		started = buildinfo.Started
	}
	uptime := int64(now.Sub(started) / time.Second)
	r := Report{Status: StatusOK, Version: buildinfo.Version, Build: buildinfo.Build, Timestamp: now.Unix(), UptimeSeconds: max(uptime, 0)}
	if !deep {
		return r
	}
	r.Checks = p.checks(ctx, now, l)
	for _, c := range r.Checks {
		if c.Status != CheckOK {
			r.Status = StatusDegraded
		}
	}
	return r
}

func (p *Prober) checks(ctx context.Context, now time.Time, l *slog.Logger) []Check {
	cacheFor := p.CacheFor
	if cacheFor == 0 {
		cacheFor = defaultCacheFor
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cached != nil && cacheFor > 0 && now.Sub(p.at) < cacheFor && !now.Before(p.at) {
		return p.cached
	}
	p.cached, p.at = []Check{p.checkTable(ctx, l)}, now
	return p.cached
}

// checkTable calls DescribeTable within the timeout. A table that is ACTIVE
// or UPDATING serves reads and writes; any other status, an error or the
// timeout is a failure.
func (p *Prober) checkTable(ctx context.Context, l *slog.Logger) Check {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	c := Check{Name: CheckDynamoDB, Status: CheckFail}
	if p.DB == nil || p.Table == "" {
		c.Error = "not configured"
		l.Error("health check failed", "check", c.Name, "error", "no table or client configured")
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	begin := time.Now() // latency is real elapsed time, whatever the injected clock.
	out, err := p.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)})
	c.LatencyMS = time.Since(begin).Milliseconds()
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (err != nil && ctx.Err() != nil):
		c.Error = "timeout"
	case errors.As(err, &notFound):
		c.Error = "table not found"
	case err != nil:
		c.Error = "unreachable"
	case out.Table == nil:
		c.Error = "no table description"
	case out.Table.TableStatus != types.TableStatusActive && out.Table.TableStatus != types.TableStatusUpdating:
		c.Error = "table " + string(out.Table.TableStatus)
	default:
		c.Status = CheckOK
		l.Debug("health check passed", "check", c.Name, "latency_ms", c.LatencyMS)
		return c
	}
	detail := c.Error
	if err != nil {
		detail = err.Error()
	}
	l.Error("health check failed", "check", c.Name, "table", p.Table, "latency_ms", c.LatencyMS, "error", detail)
	return c
}
