package main

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/reports"
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

// failingWorkload writes a workload running workloads/engine's failing
// flare, which fails four requests of five in four ways, and returns its
// path.
func failingWorkload(t *testing.T, extra string) string {
	t.Helper()
	wasm, err := filepath.Abs(filepath.Join("..", "..", "workloads", "engine", "testdata", "failing.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	src := `name: failing
store: {backend: memory}
sites: [{domain: a.example}]
scenarios:
  - name: fails
    flare: ` + wasm + `
    executor: {type: closed, vus: 1, iterations: 50}
    vars: {m: {dist: sequential, n: 5}}
    request: {method: POST, body: "{{m}}"}
` + extra
	p := filepath.Join(t.TempDir(), "failing.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFailureMessagesReported: why requests failed (trap text, env.abort's
// message and position, the unexpected status and its body) is in the
// summary, the JSON, the Markdown and the HTML of a run, and in a report
// made from its JSON, each with its count.
func TestFailureMessagesReported(t *testing.T) {
	dir := t.TempDir()
	out, md, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.html")
	stdout, stderr, code := invoke([]string{"run", "--quiet", "--out", out, "--md", md, "--html", html, failingWorkload(t, "")})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	rows := []string{
		"fails     edge  trap        10",
		"fails     edge  status      10",
	}
	messages := []string{"unreachable", "integer divide by zero", `env.abort: "boom" at assembly/index.ts:7:5`, `HTTP 500: "upstream exploded: connection reset"`}
	if !strings.Contains(stdout, "failures: memory: 40 failed requests") {
		t.Errorf("summary lacks the failures table:\n%s", stdout)
	}
	for _, r := range rows {
		if !strings.Contains(stdout, r) {
			t.Errorf("summary lacks %q:\n%s", r, stdout)
		}
	}
	mdText, _ := os.ReadFile(md)
	htmlText, _ := os.ReadFile(html)
	reportOut, _, code := invoke([]string{"report", out})
	if code != exitOK {
		t.Errorf("report: exit %d", code)
	}
	for _, m := range messages {
		if !strings.Contains(stdout, m) || !strings.Contains(string(mdText), m) || !strings.Contains(reportOut, m) {
			t.Errorf("%q missing from the summary, the Markdown or the report of the JSON", m)
		}
		if !strings.Contains(string(htmlText), stdhtml.EscapeString(m)) {
			t.Errorf("%q missing from the HTML", m)
		}
	}
	b, _ := os.ReadFile(out)
	rep, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, g := range rep.Runs[0].Groups {
		n += g.FailureCount()
	}
	if n != 40 {
		t.Errorf("JSON holds %d failures, want 40", n)
	}
}

// TestThresholdsSaved: every threshold's key, expression, measured value
// and verdict is in the run's JSON, Markdown and HTML, failed or not, and
// in the Markdown and HTML that report makes from the JSON.
func TestThresholdsSaved(t *testing.T) {
	dir := t.TempDir()
	out, md, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.html")
	wl := failingWorkload(t, "")
	stdout, stderr, code := invoke([]string{"run", "--quiet", "--out", out, "--md", md, "--html", html,
		"--set", `thresholds={"errors": "== 0", "errors.trap": "== 30", "response.p99": "< 1h"}`, wl})
	if code != exitThresholds {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitThresholds, stdout, stderr)
	}
	b, _ := os.ReadFile(out)
	rep, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"errors == 0 40": false, "errors.trap == 30 30": true}
	if len(rep.Thresholds) != 3 {
		t.Fatalf("JSON thresholds %+v", rep.Thresholds)
	}
	for _, r := range rep.Thresholds {
		if r.File != wl || r.Run != "memory" {
			t.Errorf("threshold %+v: want file %s, run memory", r, wl)
		}
		k := fmt.Sprintf("%s %s %v", r.Key, r.Expr, r.Actual)
		if pass, ok := want[k]; ok && pass != r.Pass {
			t.Errorf("%s: pass %v", k, r.Pass)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("JSON lacks %v: %+v", want, rep.Thresholds)
	}
	md2, html2 := filepath.Join(dir, "again.md"), filepath.Join(dir, "again.html")
	if _, stderr, code := invoke([]string{"report", out, "--md", md2, "--html", html2}); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	for _, p := range []string{md, md2} {
		text, _ := os.ReadFile(p)
		for _, w := range []string{"**Thresholds: 1 of 3 failed.**", "| `errors == 0` | memory | 40 | **FAIL** |", "| `errors.trap == 30` | memory | 30 | ok |", "`response.p99 < 1h`"} {
			if !strings.Contains(string(text), w) {
				t.Errorf("%s lacks %q:\n%s", filepath.Base(p), w, text)
			}
		}
	}
	for _, p := range []string{html, html2} {
		text, _ := os.ReadFile(p)
		for _, w := range []string{"<h2>Thresholds</h2>", `<td>errors == 0</td><td>memory</td><td>40</td><td class="bad">FAIL</td>`, "<td>errors.trap == 30</td><td>memory</td><td>30</td><td>ok</td>"} {
			if !strings.Contains(string(text), w) {
				t.Errorf("%s lacks %q", filepath.Base(p), w)
			}
		}
	}
}

// TestShardsNeverRoundUp: iterations: 3 over 10 shards runs 3 invocations
// in all (one on each of the first three shards); a shard left with
// nothing to do is refused before it runs, in one line naming the field.
func TestShardsNeverRoundUp(t *testing.T) {
	wl := filepath.Join("testdata", "accounting", "three.yaml")
	var total int64
	for i := 0; i < 10; i++ {
		out := filepath.Join(t.TempDir(), "r.json")
		stdout, stderr, code := invoke([]string{"run", "--quiet", "--shard", fmt.Sprintf("%d/10", i), "--out", out, wl})
		if i >= 3 {
			want := fmt.Sprintf("%s:8:15: scenarios.0.executor.iterations: --shard %d/10 leaves scenario kv nothing to do: 3 split 10 ways gives this shard no iteration (use at most 3 shards)\n", wl, i)
			if code != exitUsage || stderr != want || stdout != "" {
				t.Errorf("shard %d/10: exit %d, stderr %q, want exit 2 and %q", i, code, stderr, want)
			}
			continue
		}
		if code != exitOK {
			t.Fatalf("shard %d/10: exit %d: %s", i, code, stderr)
		}
		b, _ := os.ReadFile(out)
		rep, err := reports.ReadJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		total += rep.Runs[0].Op(reports.OpInvocation).Count()
	}
	if total != 3 {
		t.Errorf("3 shards of 10 ran %d invocations, want 3", total)
	}
}

// parseRate reads a rate cell such as "200/s" or "1.86k/s".
func parseRate(t *testing.T, cell string) float64 {
	t.Helper()
	s := strings.TrimSuffix(cell, "/s")
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1e3
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1e6
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("rate cell %q: %v", cell, err)
	}
	return v * mult
}

// TestRatesOverActiveTime: a 200/s scenario that runs 1 s of a 2 s run
// shows about 200/s, not 100/s; a closed executor given iterations and a
// duration says that its 5 iterations bound it, and is rated over the time
// they took.
func TestRatesOverActiveTime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := invoke([]string{"run", "--quiet", "--out", out, filepath.Join("testdata", "accounting", "active.yaml")})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// by scenario and node: "short edge response COUNT RATE ..."
	if r := parseRate(t, tableCell(stdout, "short     edge  response", 4)); r < 150 || r > 201 {
		t.Errorf("short's response rate %v/s, want about 200/s:\n%s", r, stdout)
	}
	if !regexp.MustCompile(`(?m)^bounded\s+edge\s+5\s+\S+\s+\S+/s\s+all its iterations, before its 2s duration$`).MatchString(stdout) {
		t.Errorf("scenarios table does not say that bounded's iterations ended it:\n%s", stdout)
	}
	b, _ := os.ReadFile(out)
	rep, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	run := rep.Runs[0]
	for _, g := range run.Groups {
		switch g.Labels.Scenario {
		case "short":
			if g.End != reports.EndDuration || g.Active < time.Second || g.Active > 1500*time.Millisecond {
				t.Errorf("short: %s over %v", g.End, g.Active)
			}
		case "bounded":
			if g.End != reports.EndIterations || g.Active > time.Second || g.Planned != 2*time.Second {
				t.Errorf("bounded: %s over %v, planned %v", g.End, g.Active, g.Planned)
			}
			if r := g.Rate(run, reports.OpResponse); r < 5 {
				t.Errorf("bounded: %v/s: rated over its duration, not its 5 iterations' time", r)
			}
		}
	}
}

// TestDroppedStartsBesideLatencies: an open-loop run that drops most of
// its starts shows how many, and their share of those scheduled, on the
// response row next to its percentiles, with a warning that the
// percentiles cover only the starts that ran, in the summary, Markdown and
// HTML.
func TestDroppedStartsBesideLatencies(t *testing.T) {
	dir := t.TempDir()
	out, md, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.html")
	stdout, stderr, code := invoke([]string{"run", "--quiet", "--out", out, "--md", md, "--html", html, filepath.Join("testdata", "accounting", "drops.yaml")})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(out)
	rep, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	st := rep.Runs[0].Starts()
	if st.Total != 100 || st.Dropped < 50 {
		t.Fatalf("starts %+v: want 100 scheduled, most dropped", st)
	}
	share := fmt.Sprintf("%d (%.1f%%)", st.Dropped, 100*float64(st.Dropped)/float64(st.Total))
	if !regexp.MustCompile(`(?m)^op\s.*\serrors\s+dropped\s+what$`).MatchString(stdout) || !regexp.MustCompile(`(?m)^response\s.*\s0\s+`+regexp.QuoteMeta(share)+`\s+from the intended start$`).MatchString(stdout) {
		t.Errorf("latency table lacks the dropped column with %s on the response row:\n%s", share, stdout)
	}
	warning := fmt.Sprintf("memory: %s of 100 scheduled open-loop starts were dropped (every worker busy: raise max_in_flight or lower the rate); the latency percentiles cover only the %d that ran", share, st.Total-st.Dropped)
	if !strings.Contains(stdout, "warning: "+warning) {
		t.Errorf("summary lacks the warning %q:\n%s", warning, stdout)
	}
	mdText, _ := os.ReadFile(md)
	if !strings.Contains(string(mdText), "> **warning:** "+warning) || !strings.Contains(string(mdText), "memory dropped |") || !strings.Contains(string(mdText), "| "+share+" |") {
		t.Errorf("Markdown lacks the dropped starts:\n%s", mdText)
	}
	htmlText, _ := os.ReadFile(html)
	if !strings.Contains(string(htmlText), "<th>dropped</th>") || !strings.Contains(string(htmlText), `<td class="bad">`+share+`</td>`) || !strings.Contains(string(htmlText), "warning: "+stdhtml.EscapeString(warning)) {
		t.Errorf("HTML lacks the dropped starts")
	}
}

// TestReportRefusesImpossibleAccounting: a result file whose failures or
// activity no run can produce, or that is cut short, gets one line naming
// the file and exit 2.
func TestReportRefusesImpossibleAccounting(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	if _, stderr, code := invoke([]string{"run", "--quiet", "--out", out, failingWorkload(t, "")}); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	good, _ := os.ReadFile(out)
	for name, edit := range map[string]func(string) string{
		"negative failure count": func(s string) string {
			return strings.Replace(s, `connection reset\"",
       "Count": 10`, `connection reset\"",
       "Count": -10`, 1)
		},
		"unknown end":          func(s string) string { return strings.Replace(s, `"End": "iterations"`, `"End": "whenever"`, 1) },
		"negative active time": func(s string) string { return regexp.MustCompile(`"Active": \d+`).ReplaceAllString(s, `"Active": -5`) },
		"truncated":            func(s string) string { return s[:len(s)/2] },
	} {
		bad := edit(string(good))
		if bad == string(good) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		os.WriteFile(p, []byte(bad), 0o644)
		stdout, stderr, code := invoke([]string{"report", p})
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, p) {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
	}
}
