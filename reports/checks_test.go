package reports

import (
	"strings"
	"testing"
	"time"
)

func checksRun() *Run {
	a := NewRecorder(Labels{Scenario: "a", Node: "edge", Backend: "memory"}, time.Now())
	b := NewRecorder(Labels{Scenario: "b", Node: "edge", Backend: "memory"}, time.Now())
	hit, small := a.CheckID("hit"), a.CheckID("small")
	for i := 0; i < 1000; i++ {
		a.RecordCheck(hit, i%100 != 0) // 990 of 1000
		a.RecordCheck(small, true)
	}
	bh := b.CheckID("hit")
	b.CheckID("never") // registered, never evaluated
	for i := 0; i < 1000; i++ {
		b.RecordCheck(bh, true)
	}
	return Build(RunInfo{Backend: "memory", Duration: time.Second}, []*Recorder{a, b})
}

func TestChecksCountAndThresholds(t *testing.T) {
	run := checksRun()
	got := run.Checks()
	want := []CheckCount{{"hit", 1990, 10}, {"never", 0, 0}, {"small", 1000, 0}}
	if len(got) != len(want) {
		t.Fatalf("checks %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("check %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	rep := NewReport(run)
	res, err := Evaluate(rep, map[string]string{
		"checks": "> 99.9%", "checks.hit": ">= 99.5%", "checks.small": "== 100%", "checks.never": "> 0%",
	})
	if err != nil {
		t.Fatal(err)
	}
	pass := map[string]string{}
	for _, r := range res {
		pass[r.Key] = r.Display
		if r.Pass != map[string]bool{"checks": false, "checks.hit": true, "checks.small": true, "checks.never": false}[r.Key] {
			t.Errorf("%s %s: pass %v (%s)", r.Key, r.Expr, r.Pass, r.Display)
		}
	}
	if pass["checks"] != "99.67%" || pass["checks.never"] != "no evaluations" || pass["checks.small"] != "100%" {
		t.Errorf("displays %v", pass)
	}
	for _, bad := range []string{"> 99", "> 0.999", "> 101%", "< x%"} {
		if err := ParseThresholds(map[string]string{"checks": bad}); err == nil {
			t.Errorf("checks %q: no error", bad)
		}
	}
	if err := ParseThresholds(map[string]string{"checks.": "> 1%"}); err == nil {
		t.Error("checks.: no error")
	}
}

func TestChecksRendered(t *testing.T) {
	rep := NewReport(checksRun())
	var text, md, html strings.Builder
	WriteText(&text, rep)
	WriteMarkdown(&md, rep)
	WriteHTML(&html, rep)
	for _, want := range []string{"checks: memory", "hit         2000    1990    10 !      99.5%", "never          0       0       0          -"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(md.String(), "checks: memory: **10 failed**") || !strings.Contains(md.String(), "| `hit` | 2000 | 1990 | **10** | 99.5% |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if !strings.Contains(html.String(), `<td>hit</td><td>2000</td><td>1990</td><td class="bad">10</td><td>99.5%</td>`) {
		t.Errorf("html lacks the checks table")
	}
	// The checks survive a JSON round trip.
	var js strings.Builder
	WriteJSON(&js, rep)
	back, err := ReadJSON(strings.NewReader(js.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Runs[0].Checks(); len(got) != 3 || got[0] != (CheckCount{"hit", 1990, 10}) {
		t.Errorf("after JSON: %+v", got)
	}
}

func TestFormatPct(t *testing.T) {
	for v, want := range map[float64]string{100: "100%", 99.999: "99.99%", 99.5: "99.5%", 0: "0%", 33.333: "33.33%"} {
		if got := formatPct(v); got != want {
			t.Errorf("formatPct(%v) = %q, want %q", v, got, want)
		}
	}
}
