package reports_test

import (
	"fmt"
	"os"
	"time"

	"github.com/sparkbench/sparkbench/reports"
)

// A worker records into its own Recorder; at the end the runner builds a
// Run from all recorders, wraps it in a Report and checks thresholds.
func Example() {
	start := time.Now()
	rec := reports.NewRecorder(reports.Labels{Scenario: "limiter", Node: "edge-fra", Backend: "memory"}, start)
	for i := 0; i < 1000; i++ {
		rec.RecordLimit("max_reads_per_invocation", false)
		rec.Record(reports.OpSparkGet, reports.CodeOK, time.Duration(1000+i)*time.Nanosecond)
		rec.Record(reports.OpInvocation, reports.CodeOK, 20*time.Microsecond)
	}
	run := reports.Build(reports.RunInfo{
		Workload: "example", Backend: "memory", Duration: time.Second,
		Limits: []reports.LimitConfig{{Name: "max_reads_per_invocation", Value: 1000}},
	}, []*reports.Recorder{rec})
	rep := reports.NewReport(run)

	results, err := reports.Evaluate(rep, map[string]string{
		"spark_get.p99":    "< 20us",
		"limit_violations": "== 0",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	reports.WriteThresholdsText(os.Stdout, results)
	fmt.Println("failed:", reports.ThresholdsFailed(results))
	// Output:
	// ok   limit_violations == 0 (memory): 0
	// ok   spark_get.p99 < 20us (memory): 1.99µs
	// failed: false
}
