package metrics

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Spec is one metric the code publishes: its namespace, name and the one
// dimension set it is split by.
type Spec struct {
	Namespace  string
	Name       string
	Dimensions []string
}

// More namespaces of the project's metrics.
const (
	NamespaceTickets = "Levqor/Tickets"
	NamespaceDrift   = "Levqor/Drift"
)

// Catalog is every metric the code publishes: what the dashboard in
// template.yaml may name besides AWS's own (infra/templatetest checks it),
// and what the emitters' tests check their lines against (Check).
var Catalog = []Spec{
	{NamespaceKeepalive, "LatencyMs", []string{"Service", "Target"}},
	{NamespaceKeepalive, "Success", []string{"Service", "Target"}},
	{NamespaceKeepalive, "Failure", []string{"Service", "Target"}},
	{NamespaceKeepalive, "Degraded", []string{"Service", "Target"}},
	{NamespaceLambda, "ColdStart", []string{"Service", "FunctionName"}},
	{NamespaceLambda, "Panics", []string{"Service"}},
	{NamespaceClient, "ClientErrors", []string{"Service", "Release"}},
	{NamespaceClient, "ClientWarnings", []string{"Service", "Release"}},
	{NamespaceTickets, "TicketsCreated", []string{"Service", "Tier"}},
	{NamespaceDrift, "ChecksFailed", []string{"Service"}},
	{NamespaceDrift, "ChecksSkipped", []string{"Service"}},
}

// Lookup returns the catalogued metric namespace/name, if there is one.
func Lookup(namespace, name string) (Spec, bool) {
	for _, s := range Catalog {
		if s.Namespace == namespace && s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Check returns an error unless line is an EMF record whose every metric
// is in Catalog with exactly the catalogued dimensions.
func Check(line []byte) error {
	var rec struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(line, &rec); err != nil || len(rec.AWS.CloudWatchMetrics) == 0 {
		return fmt.Errorf("metrics: not an EMF record: %.200s", line)
	}
	for _, d := range rec.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			s, ok := Lookup(d.Namespace, m.Name)
			if !ok {
				return fmt.Errorf("metrics: %s %s is not in the catalog", d.Namespace, m.Name)
			}
			for _, dims := range d.Dimensions {
				if !slices.Equal(dims, s.Dimensions) {
					return fmt.Errorf("metrics: %s %s split by [%s], the catalog says [%s]", d.Namespace, m.Name, strings.Join(dims, ","), strings.Join(s.Dimensions, ","))
				}
			}
		}
	}
	return nil
}
