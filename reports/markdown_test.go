package reports

import (
	"bytes"
	"testing"
)

func TestWriteMarkdownGolden(t *testing.T) {
	for _, tc := range []struct {
		name     string
		backends []string
	}{
		{"markdown_one_backend.md", []string{"bbolt"}},
		{"markdown_two_backends.md", []string{"memory", "bbolt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteMarkdown(&buf, fixtureReport(tc.backends...)); err != nil {
				t.Fatal(err)
			}
			if buf.Len() > 65536 {
				t.Fatalf("%d bytes: too large for a PR comment", buf.Len())
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

func TestMarkdownThresholds(t *testing.T) {
	rep := fixtureReport("memory")
	rs, err := Evaluate(rep, map[string]string{"spark_get.p99": "< 20us", "limit_violations": "== 0"})
	if err != nil {
		t.Fatal(err)
	}
	rep.Thresholds = rs
	var md, h bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&h, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "markdown_thresholds.md", md.Bytes())
	if !bytes.Contains(h.Bytes(), []byte("<h2>Thresholds</h2>")) || !bytes.Contains(h.Bytes(), []byte(`class="bad">FAIL`)) {
		t.Fatal("HTML lacks the failed threshold")
	}
	// Thresholds survive the JSON round trip.
	var js bytes.Buffer
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&js)
	if err != nil || len(back.Thresholds) != 2 || back.Thresholds[0] != rs[0] {
		t.Fatalf("%v %+v", err, back.Thresholds)
	}
}

// TestMarkdownThresholdsEveryResult: every threshold's key, expression,
// value and verdict is in the Markdown, also when all passed (folded), with
// the file of each when they come from several workload files.
func TestMarkdownThresholdsEveryResult(t *testing.T) {
	rep := fixtureReport("memory")
	rep.Thresholds = []ThresholdResult{
		{Key: "spark_get.p99", Expr: "< 20us", File: "a.yaml", Run: "memory", Display: "1.20µs", Pass: true},
		{Key: "errors", Expr: "== 0", File: "b.yaml", Run: "memory", Display: "0", Pass: true},
	}
	var md, h bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&h, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<summary><b>Thresholds: all 2 passed.</b></summary>", "| file | threshold | run | measured | |",
		"| a.yaml | `spark_get.p99 < 20us` | memory | 1.20µs | ok |", "| b.yaml | `errors == 0` | memory | 0 | ok |"} {
		if !bytes.Contains(md.Bytes(), []byte(want)) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.Bytes())
		}
	}
	if !bytes.Contains(h.Bytes(), []byte("<th>file</th>")) || !bytes.Contains(h.Bytes(), []byte("<td>b.yaml</td><td>errors == 0</td>")) {
		t.Error("HTML lacks the thresholds' files")
	}
}
