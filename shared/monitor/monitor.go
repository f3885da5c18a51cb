// Package monitor is the error-monitoring hook: the seed's error_monitor,
// with a structured-log notifier by default and a webhook notifier for
// Sentry-, Slack- or DataDog-style endpoints.
package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/levqor/serverless/shared/logging"
)

// Category groups incidents so alerts can be routed.
type Category string

// The categories the seed names, plus the general ones.
const (
	Database     Category = "database"
	Billing      Category = "billing"
	Availability Category = "availability"
	Drift        Category = "drift"
	Client       Category = "client" // errors browsers report (functions/clientlogs)
	General      Category = "general"
)

// Severity is how urgent an incident is.
type Severity string

// The severities.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Incident is one thing worth telling a human about. Fields must not carry
// customer content or secrets.
type Incident struct {
	Category      Category          `json:"category"`
	Severity      Severity          `json:"severity"`
	Message       string            `json:"message"`
	Error         string            `json:"error,omitempty"`
	CorrelationID string            `json:"correlation_id,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
	Time          time.Time         `json:"time"`
}

// Notifier receives incidents. Notify must not block the request for long:
// implementations bound their own time.
type Notifier interface {
	Notify(ctx context.Context, in Incident) error
}

// Log writes incidents as structured log records. It never fails.
type Log struct{ Logger *slog.Logger }

// Notify logs in at error level (warning and info at theirs), through the
// invocation's logger when ctx carries one (so the line has its ids).
func (n Log) Notify(ctx context.Context, in Incident) error {
	l := n.Logger
	if cl, ok := logging.Carried(ctx); ok {
		l = cl
	}
	if l == nil {
		l = slog.Default()
	}
	lvl := slog.LevelError
	switch in.Severity {
	case Warning:
		lvl = slog.LevelWarn
	case Info:
		lvl = slog.LevelInfo
	}
	l.LogAttrs(ctx, lvl, "incident: "+in.Message,
		slog.String("category", string(in.Category)),
		slog.String("severity", string(in.Severity)),
		slog.String("error", in.Error),
		slog.Any("fields", in.Fields))
	return nil
}

// Webhook posts incidents as JSON to URL.
type Webhook struct {
	URL     string
	Client  *http.Client // nil means a client with a 3s timeout
	Headers map[string]string
}

// Notify posts in. It returns an error for transport failures and non-2xx
// answers; the error names the webhook's host only, never its URL, whose
// path is often the secret (a chat incoming webhook's is).
func (w Webhook) Notify(ctx context.Context, in Incident) error {
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 3 * time.Second}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("monitor: encode incident: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return errors.New("monitor: webhook URL does not parse")
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the whole URL
		}
		return fmt.Errorf("monitor: webhook %s: %w", req.URL.Host, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("monitor: webhook %s answered %d", req.URL.Host, resp.StatusCode)
	}
	return nil
}

// Multi tells every notifier and joins their errors.
type Multi []Notifier

// Notify tells each notifier in turn; one failing does not stop the rest.
func (m Multi) Notify(ctx context.Context, in Incident) error {
	var errs []error
	for _, n := range m {
		if err := n.Notify(ctx, in); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// FromEnv returns the log notifier, plus a webhook notifier when url is set
// (the ERROR_WEBHOOK_URL variable).
func FromEnv(l *slog.Logger, url string) Notifier {
	if url == "" {
		return Log{Logger: l}
	}
	return Multi{Log{Logger: l}, Webhook{URL: url}}
}
