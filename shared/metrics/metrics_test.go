package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// emfRecord is the shape the EMF specification requires.
type emfRecord struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

// validateEMF checks one line against the EMF specification's rules: one JSON
// object, _aws metadata with a millisecond timestamp, and every dimension
// and metric it names present on the root as a string or a number.
func validateEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var rec emfRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	var root map[string]any
	_ = json.Unmarshal(line, &root)
	if rec.AWS.Timestamp <= 0 || len(rec.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("bad metadata: %s", line)
	}
	d := rec.AWS.CloudWatchMetrics[0]
	if d.Namespace == "" || len(d.Metrics) == 0 {
		t.Fatalf("bad directive: %s", line)
	}
	for _, set := range d.Dimensions {
		for _, name := range set {
			if _, ok := root[name].(string); !ok {
				t.Fatalf("dimension %q not a string on the root: %s", name, line)
			}
		}
	}
	for _, m := range d.Metrics {
		if _, ok := root[m.Name].(float64); !ok {
			t.Fatalf("metric %q not a number on the root: %s", m.Name, line)
		}
	}
	return root
}

func TestEmit(t *testing.T) {
	var buf bytes.Buffer
	w := &Writer{W: &buf, Now: func() time.Time { return time.UnixMilli(1700000000123) }}
	err := w.Emit(NamespaceKeepalive, []Dimension{{"Service", "levqor"}, {"Target", "api"}},
		Metric{"LatencyMs", Milliseconds, 42}, Metric{"Success", Count, 1}, Metric{"Failure", Count, 0})
	if err != nil {
		t.Fatal(err)
	}
	line := buf.Bytes()
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not exactly one line: %q", line)
	}
	root := validateEMF(t, line)
	if root["Target"] != "api" || root["LatencyMs"] != 42.0 || root["Failure"] != 0.0 {
		t.Fatalf("values: %v", root)
	}
	want := `"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"Levqor/Keepalive","Dimensions":[["Service","Target"]],"Metrics":[{"Name":"LatencyMs","Unit":"Milliseconds"},{"Name":"Success","Unit":"Count"},{"Name":"Failure","Unit":"Count"}]}]}`
	if !strings.Contains(buf.String(), want) {
		t.Fatalf("metadata:\n%s\nwant containing\n%s", buf.String(), want)
	}
}

func TestEmitRefuses(t *testing.T) {
	many := make([]Dimension, 31)
	for i := range many {
		many[i] = Dimension{Name: strings.Repeat("d", i+1), Value: "v"}
	}
	tests := []struct {
		name string
		ns   string
		dims []Dimension
		ms   []Metric
	}{
		{"no namespace", "", nil, []Metric{{"A", Count, 1}}},
		{"no metrics", "N", nil, nil},
		{"NaN", "N", nil, []Metric{{"A", Count, math.NaN()}}},
		{"Inf", "N", nil, []Metric{{"A", Count, math.Inf(1)}}},
		{"reserved name", "N", nil, []Metric{{"_aws", Count, 1}}},
		{"duplicate", "N", []Dimension{{"A", "x"}}, []Metric{{"A", Count, 1}}},
		{"empty dimension value", "N", []Dimension{{"A", ""}}, []Metric{{"B", Count, 1}}},
		{"too many dimensions", "N", many, []Metric{{"B", Count, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (&Writer{W: &buf}).Emit(tt.ns, tt.dims, tt.ms...); err == nil {
				t.Fatal("accepted")
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %q", buf.String())
			}
		})
	}
}

func TestColdStartAndConcurrentLines(t *testing.T) {
	var buf bytes.Buffer
	w := &Writer{W: &buf}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := w.ColdStart("levqor", "fn-name"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 50 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		root := validateEMF(t, l)
		if root["ColdStart"] != 1.0 || root["FunctionName"] != "fn-name" {
			t.Fatalf("record %s", l)
		}
	}
}
