// Package metrics writes CloudWatch embedded metric format (EMF) records:
// JSON lines on stdout from which CloudWatch Logs extracts metrics, so a
// Lambda function publishes metrics without a PutMetricData call (no
// latency, no extra permission).
//
// Every metric the project writes is in Catalog (catalog.go).
package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// The units the project uses (CloudWatch's StandardUnit names).
const (
	Milliseconds Unit = "Milliseconds"
	Count        Unit = "Count"
	Percent      Unit = "Percent"
)

// Namespaces of the project's metrics.
const (
	NamespaceKeepalive = "Levqor/Keepalive"
	NamespaceLambda    = "Levqor/Lambda"
	NamespaceClient    = "Levqor/Client"
)

// Dimension is one name/value pair a metric is split by.
type Dimension struct{ Name, Value string }

// Metric is one value.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Limits from the EMF specification.
const (
	maxDimensions = 30
	maxMetrics    = 100
	maxNameLen    = 255
)

// Writer writes EMF records, one JSON object per line. It is safe for
// concurrent use; each record is written with a single Write call so lines
// never interleave.
type Writer struct {
	W   io.Writer        // nil means os.Stdout
	Now func() time.Time // nil means time.Now

	mu sync.Mutex
}

// Emit writes one record: the metrics in namespace, split by dims (one
// dimension set holding all of them). It returns an error when a name is
// empty, too long, repeated or reserved, a value is not finite, a limit of
// the specification is exceeded, or the write fails.
func (w *Writer) Emit(namespace string, dims []Dimension, ms ...Metric) error {
	if namespace == "" || len(namespace) > maxNameLen {
		return errors.New("metrics: namespace must be 1-255 characters")
	}
	if len(dims) > maxDimensions || len(ms) == 0 || len(ms) > maxMetrics {
		return fmt.Errorf("metrics: need 1-%d metrics and at most %d dimensions", maxMetrics, maxDimensions)
	}
	root := make(map[string]any, 1+len(dims)+len(ms))
	names := make([]string, 0, len(dims))
	for _, d := range dims {
		if err := checkName(root, d.Name); err != nil {
			return err
		}
		if d.Value == "" {
			return fmt.Errorf("metrics: dimension %q has no value", d.Name)
		}
		root[d.Name] = d.Value
		names = append(names, d.Name)
	}
	defs := make([]metricDef, 0, len(ms))
	for _, m := range ms {
		if err := checkName(root, m.Name); err != nil {
			return err
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return fmt.Errorf("metrics: %s is not a finite number", m.Name)
		}
		root[m.Name] = m.Value
		defs = append(defs, metricDef{Name: m.Name, Unit: m.Unit})
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	root["_aws"] = metadata{
		Timestamp: now().UnixMilli(),
		CloudWatchMetrics: []directive{{
			Namespace:  namespace,
			Dimensions: [][]string{names},
			Metrics:    defs,
		}},
	}
	b, err := json.Marshal(root)
	if err != nil {
		return fmt.Errorf("metrics: encode: %w", err)
	}
	b = append(b, '\n')
	out := w.W
	if out == nil {
		out = os.Stdout
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := out.Write(b); err != nil {
		return fmt.Errorf("metrics: write: %w", err)
	}
	return nil
}

func checkName(root map[string]any, name string) error {
	if name == "" || len(name) > maxNameLen || name == "_aws" {
		return fmt.Errorf("metrics: invalid name %q", name)
	}
	if _, dup := root[name]; dup {
		return fmt.Errorf("metrics: name %q used twice", name)
	}
	return nil
}

// ColdStart records one ColdStart in the Levqor/Lambda namespace for
// function of service. Call it once, when logging.ColdStart() reports true.
// It returns Emit's errors.
func (w *Writer) ColdStart(service, function string) error {
	return w.Emit(NamespaceLambda,
		[]Dimension{{"Service", service}, {"FunctionName", function}},
		Metric{Name: "ColdStart", Unit: Count, Value: 1})
}

// Panic counts one request a handler panicked on (answered, by the edge,
// with a 500): a bug an alarm should hear of, as the Lambda Errors metric
// no longer counts it. It is split by Service only, so one alarm covers
// every function.
func (w *Writer) Panic(service string) error {
	return w.Emit(NamespaceLambda, []Dimension{{"Service", service}}, Metric{Name: "Panics", Unit: Count, Value: 1})
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type metricDef struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}
