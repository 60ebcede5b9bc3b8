package reports

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// failuresRun is a run whose one scenario, on two workers, failed in
// several ways: traps with two messages, an abort, unexpected statuses
// whose message holds characters a table or a page must escape.
func failuresRun(backend string, offset time.Duration) *Run {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	l := Labels{Scenario: "checkout", Node: "edge", Backend: backend}
	a, b := newTestRecorder(l, fixtureStart, clk.now), newTestRecorder(l, fixtureStart, clk.now)
	at := func(d time.Duration) { clk.t = fixtureStart.UnixNano() + int64(d+offset) }
	at(10 * time.Millisecond)
	a.RecordFailure(101, "integer divide by zero")
	at(20 * time.Millisecond)
	b.RecordFailure(101, `env.abort: "boom" at assembly/index.ts:7:5`)
	for i := 0; i < 40; i++ {
		at(time.Duration(30+i) * time.Millisecond)
		r := []*Recorder{a, b}[i%2]
		r.Record(OpResponse, CodeStatus, time.Millisecond)
		r.RecordFailure(CodeStatus, "HTTP 502: \"<b>bad</b> | gateway\\t`x`\"\t")
	}
	at(time.Second)
	a.RecordFailure(102, "stopped after 1s")
	b.RecordFailure(101, "integer divide by zero")
	return Build(RunInfo{Backend: backend, Duration: 2 * time.Second, CodeNames: map[int32]string{101: "trap", 102: "timeout"}}, []*Recorder{a, b})
}

func TestRecordFailureKeepsFirstMessages(t *testing.T) {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "s"}, fixtureStart, clk.now)
	buf := []byte("trap 00")
	for i := 0; i < 3*MaxFailureMessages; i++ {
		clk.t += int64(time.Millisecond)
		// The same buffer each time, as the engine's workers pass it.
		buf[5], buf[6] = byte('0'+i/10), byte('0'+i%10)
		r.RecordFailure(101, string(buf))
		r.RecordFailure(101, string(buf))
	}
	long := strings.Repeat("é", MaxFailureMessageBytes) // 2 bytes each
	r.RecordFailure(101, long)
	g := Build(RunInfo{}, []*Recorder{r}).Groups[0]
	if len(g.Failures) != MaxFailureMessages || g.Failures[0].Message != "trap 00" || g.Failures[0].Count != 2 || g.Failures[0].First != time.Millisecond {
		t.Fatalf("kept %+v", g.Failures)
	}
	if g.OtherFailures != 2*2*MaxFailureMessages+1 || g.FailureCount() != 6*MaxFailureMessages+1 {
		t.Errorf("other %d, total %d, want %d and %d", g.OtherFailures, g.FailureCount(), 4*MaxFailureMessages+1, 6*MaxFailureMessages+1)
	}
	if m := truncateMessage(long); len(m) > MaxFailureMessageBytes || !utf8.ValidString(m) || len(m) < MaxFailureMessageBytes-1 {
		t.Errorf("truncated to %d bytes, valid %v", len(m), utf8.ValidString(m))
	}
}

// TestRecordFailureRepeatAllocatesNothing: a flare that fails every
// request with the same message costs a comparison per failure, no
// allocation.
func TestRecordFailureRepeatAllocatesNothing(t *testing.T) {
	r := NewRecorder(Labels{Scenario: "s"}, time.Now())
	buf := []byte(`HTTP 500: "upstream exploded"`)
	r.RecordFailure(CodeStatus, string(buf))
	if n := testing.AllocsPerRun(1000, func() { r.RecordFailure(CodeStatus, string(buf)) }); n != 0 {
		t.Errorf("%v allocations per repeated failure", n)
	}
}

// TestFailuresMerge: failures merge exactly across workers (Build),
// shards (MergeReports) and repeats (the summary's pooling), keeping the
// messages that happened first.
func TestFailuresMerge(t *testing.T) {
	one := failuresRun("memory", 0)
	g := one.Groups[0]
	want := []string{"trap 2 integer divide by zero", `trap 1 env.abort: "boom" at assembly/index.ts:7:5`, "status 40 HTTP 502", "timeout 1 stopped after 1s"}
	if len(g.Failures) != len(want) {
		t.Fatalf("failures %+v", g.Failures)
	}
	for i, f := range g.Failures {
		got := fmt.Sprintf("%s %d %s", CodeName(f.Code, nil), f.Count, f.Message)
		if !strings.HasPrefix(got, want[i]) {
			t.Errorf("failure %d: %q, want %q...", i, got, want[i])
		}
	}
	if g.FailureCount() != 44 {
		t.Errorf("%d failures, want 44", g.FailureCount())
	}
	a, b := failuresRun("memory", 0), failuresRun("memory", time.Second)
	a.Info.Shard, b.Info.Shard = "0/2", "1/2"
	merged, err := mergeShardRuns([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	mg := merged.Groups[0]
	if mg.FailureCount() != 88 || mg.Failures[0].Count != 4 || mg.Failures[0].First != 10*time.Millisecond {
		t.Errorf("merged shards: %+v", mg.Failures)
	}
	p := pooled([]*Run{failuresRun("memory", 0), failuresRun("memory", 0), failuresRun("memory", 0)})
	if p.Groups[0].FailureCount() != 132 {
		t.Errorf("pooled repeats: %d failures", p.Groups[0].FailureCount())
	}
	// Past the cap, the earliest messages stay and the rest are counted.
	var runs []*Run
	for i := 0; i < MaxFailureMessages+2; i++ {
		clk := &fakeClock{t: fixtureStart.UnixNano() + int64(i)*int64(time.Millisecond)}
		r := newTestRecorder(Labels{Scenario: "s"}, fixtureStart, clk.now)
		r.RecordFailure(101, fmt.Sprintf("message %02d", MaxFailureMessages+1-i))
		runs = append(runs, Build(RunInfo{Backend: "memory"}, []*Recorder{r}))
	}
	pg := pooled(runs).Groups[0]
	if len(pg.Failures) != MaxFailureMessages || pg.OtherFailures != 2 || pg.Failures[0].Message != fmt.Sprintf("message %02d", MaxFailureMessages+1) {
		t.Errorf("capped merge: %+v other %d", pg.Failures, pg.OtherFailures)
	}
}

// TestFailuresRendered: the summary, Markdown and HTML list every kept
// message with its count; what a guest wrote cannot break their tables or
// inject markup; the JSON keeps them.
func TestFailuresRendered(t *testing.T) {
	rep := NewReport(failuresRun("memory", 0))
	rep.Env = Env{GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", NumCPU: 2, GOMAXPROCS: 2, Version: "v0.1.0"}
	var txt, md, h, js bytes.Buffer
	for _, w := range []struct {
		fn  func(*bytes.Buffer, *Report) error
		buf *bytes.Buffer
	}{
		{func(b *bytes.Buffer, r *Report) error { return WriteText(b, r) }, &txt},
		{func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) }, &md},
		{func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) }, &h},
		{func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) }, &js},
	} {
		if err := w.fn(w.buf, rep); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "failures.txt", txt.Bytes())
	golden(t, "failures.md", md.Bytes())
	for _, want := range []string{"<h3>Failures: 44 failed requests</h3>", `<td class="msg">env.abort: &#34;boom&#34; at assembly/index.ts:7:5</td>`,
		`HTTP 502: &#34;&lt;b&gt;bad&lt;/b&gt; | gateway\t`} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h.String(), "<b>bad") {
		t.Error("HTML carries the guest's markup")
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Runs[0].Groups[0]; got.FailureCount() != 44 || len(got.Failures) != 4 || got.Failures[1] != rep.Runs[0].Groups[0].Failures[1] {
		t.Errorf("JSON round trip: %+v", got.Failures)
	}
}

// TestReadJSONRejectsImpossibleFailures: a result file whose failures no
// run can produce is refused, naming the group.
func TestReadJSONRejectsImpossibleFailures(t *testing.T) {
	for name, mutate := range map[string]func(g *Group){
		"negative count": func(g *Group) { g.Failures[0].Count = -1 },
		"negative other": func(g *Group) { g.OtherFailures = -5 },
		"negative first": func(g *Group) { g.Failures[0].First = -time.Second },
		"too many": func(g *Group) {
			for len(g.Failures) <= MaxFailureMessages {
				g.Failures = append(g.Failures, Failure{Code: 101, Message: fmt.Sprint(len(g.Failures)), Count: 1})
			}
		},
	} {
		rep := NewReport(failuresRun("memory", 0))
		mutate(rep.Runs[0].Groups[0])
		var b bytes.Buffer
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadJSON(&b); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "checkout") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
