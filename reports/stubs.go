package reports

import (
	"errors"
	"io"
)

// ThresholdResult is the outcome of one threshold on one run.
type ThresholdResult struct {
	Key, Expr string
	Run       string  // which run: backend, repeat or shard
	Actual    float64 // measured value, in the unit of the key (ns for durations)
	Display   string  // Actual formatted for people
	Pass      bool
}

// WriteText writes the terminal summary.
func WriteText(w io.Writer, rep *Report) error {
	return errors.New("reports: text not implemented yet")
}

// WriteMarkdown writes a summary sized for a pull-request comment.
func WriteMarkdown(w io.Writer, rep *Report) error {
	return errors.New("reports: markdown not implemented yet")
}

// WriteHTML writes one self-contained HTML file with inline SVG charts.
func WriteHTML(w io.Writer, rep *Report) error {
	return errors.New("reports: html not implemented yet")
}

// Evaluate checks threshold expressions ("spark_get.p99": "< 20us", ...).
func Evaluate(rep *Report, thresholds map[string]string) ([]ThresholdResult, error) {
	return nil, errors.New("reports: thresholds not implemented yet")
}
