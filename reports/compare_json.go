package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// CompareSchemaVersion identifies the JSON layout WriteCompareJSON writes.
const CompareSchemaVersion = "sparkbench.compare/v1"

// compareDoc is the JSON form of a Comparison. Infinite or undefined
// numbers (an interval with too few runs, a change from zero) are null.
type compareDoc struct {
	Schema       string
	Method       string // "paired" or "unpaired"
	Description  string // Comparison.Method
	Alpha        float64
	Threshold    float64
	Metrics      []string // gating patterns
	Config       bool
	Session      string `json:",omitempty"`
	Pairs        []int  `json:",omitempty"`
	Permutations int    `json:",omitempty"`
	Exact        bool   `json:",omitempty"`
	BaseRuns     int
	NewRuns      int
	Regressions  int
	Deltas       []deltaDoc
	Notes        []string
}

type deltaDoc struct {
	Backend, Metric       string
	Gated                 bool
	Unit                  string // "ns" or "1/s"
	LowerIsBetter         bool
	Base, New             []float64
	BaseCenter, NewCenter float64
	Change                *float64
	CILow, CIHigh         *float64
	P, PAdjusted          *float64 // null when not tested
	Verdict               Verdict
	Note                  string `json:",omitempty"`
}

func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

// WriteCompareJSON writes the comparison as JSON (CompareSchemaVersion):
// the method, options and, per metric, every run's value, the change with
// its confidence interval, raw and adjusted p-values and the verdict.
func WriteCompareJSON(w io.Writer, c *Comparison) error {
	doc := compareDoc{
		Schema: CompareSchemaVersion, Method: "unpaired", Description: c.Method(),
		Alpha: c.Options.Alpha, Threshold: c.Options.Threshold, Metrics: c.Options.Metrics,
		Config: c.Config, Session: c.Session, Pairs: c.PairIDs, Permutations: c.Permutations, Exact: c.Exact,
		BaseRuns: c.BaseRuns, NewRuns: c.NewRuns, Regressions: c.Regressions(), Notes: c.allNotes(),
	}
	if doc.Metrics == nil {
		doc.Metrics = DefaultGatedMetrics
	}
	if c.Paired {
		doc.Method = "paired"
	}
	for _, d := range c.Deltas {
		dd := deltaDoc{Backend: d.Backend, Metric: d.Metric, Gated: d.Gated, Unit: "1/s", LowerIsBetter: d.LowerIsBetter,
			Base: d.Base, New: d.New, BaseCenter: d.BaseCenter, NewCenter: d.NewCenter,
			Change: finite(d.Change), CILow: finite(d.CILow), CIHigh: finite(d.CIHigh), Verdict: d.Verdict, Note: d.Note}
		if d.Duration {
			dd.Unit = "ns"
		}
		if d.Tested() {
			dd.P, dd.PAdjusted = finite(d.P), finite(d.PAdjusted)
		}
		doc.Deltas = append(doc.Deltas, dd)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: write comparison json: %w", err)
	}
	return nil
}
