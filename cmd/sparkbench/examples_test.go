package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleWorkloadsValidate: every example workload in workloads/ is
// valid as shipped, including its flares and thresholds.
func TestExampleWorkloadsValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "workloads", "*.yaml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		stdout, stderr, code := invoke([]string{"validate", f})
		if code != exitOK || !strings.Contains(stdout, ": ok (") {
			t.Errorf("%s: exit %d\n%s%s", f, code, stdout, stderr)
		}
	}
}

// TestExampleLimitsRuns runs the limits example end to end (shortened):
// every limit is probed and none is violated.
func TestExampleLimitsRuns(t *testing.T) {
	f := filepath.Join("..", "..", "workloads", "limits.yaml")
	stdout, stderr, code := invoke([]string{"run", "--quiet", "--duration", "1s", f})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"ok   limit_violations == 0", "max_reads_per_invocation", "max_pull_keys", "quota_exceeded"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}
