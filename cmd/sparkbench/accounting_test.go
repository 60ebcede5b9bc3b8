package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// tableCell returns the cell in column col (0-based, split on spaces) of
// the first line of the summary that starts with prefix, or "".
func tableCell(summary, prefix string, col int) string {
	for _, l := range strings.Split(summary, "\n") {
		if strings.HasPrefix(l, prefix) {
			if f := strings.Fields(l); col < len(f) {
				return f[col]
			}
		}
	}
	return ""
}

// TestUnexpectedStatusIsAnError: a flare that answers 500 to every request
// (the cache relaying its origin's status) fails every request: the
// summary's errors column, the errors and errors.status thresholds and the
// exit code all say so.
func TestUnexpectedStatusIsAnError(t *testing.T) {
	stdout, stderr, code := invoke([]string{"run", "--quiet", filepath.Join("testdata", "accounting", "origin500.yaml")})
	if code != exitThresholds {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitThresholds, stdout, stderr)
	}
	if got := tableCell(stdout, "response ", 8); got != "150" {
		t.Errorf("response errors column %q, want 150:\n%s", got, stdout)
	}
	if got := tableCell(stdout, "invocation ", 8); got != "0" {
		t.Errorf("invocation errors column %q, want 0 (the flare ran):\n%s", got, stdout)
	}
	for _, want := range []string{"FAIL errors == 0 (memory): 150", "FAIL errors.status == 0 (memory): 150", "response: status 150"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}
