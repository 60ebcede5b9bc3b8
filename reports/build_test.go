package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestBuildMergesExactly(t *testing.T) {
	// Every sample goes to one of several recorders and to one reference
	// histogram; the merged run's histogram must equal the reference.
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	rng := rand.New(rand.NewPCG(3, 4))
	l := Labels{Scenario: "s", Node: "n", Backend: "bbolt"}
	recs := []*Recorder{newTestRecorder(l, fixtureStart, clk.now), newTestRecorder(l, fixtureStart, clk.now), newTestRecorder(l, fixtureStart, clk.now)}
	ref := NewHist()
	refSec := []*Hist{NewHist(), NewHist()}
	for i := 0; i < 30000; i++ {
		sec := i / 15000
		clk.t = fixtureStart.UnixNano() + int64(sec)*int64(time.Second) + int64(i%15000)
		d := time.Duration(rng.ExpFloat64() * 1e5)
		recs[rng.IntN(3)].Record(OpSparkGet, CodeOK, d)
		ref.Record(d)
		refSec[sec].Record(d)
	}
	run := Build(RunInfo{Backend: "bbolt"}, recs)
	if len(run.Groups) != 1 {
		t.Fatalf("%d groups", len(run.Groups))
	}
	g := run.Groups[0]
	got := g.op(OpSparkGet, false).All()
	if !got.Equal(ref) {
		t.Fatalf("merged histogram differs: %d vs %d samples", got.Count(), ref.Count())
	}
	for _, q := range []float64{.5, .9, .99, .999, 1} {
		if got.Quantile(q) != ref.Quantile(q) {
			t.Errorf("q%v: %v vs %v", q, got.Quantile(q), ref.Quantile(q))
		}
	}
	if len(g.Series) != 2 {
		t.Fatalf("%d seconds", len(g.Series))
	}
	for i, s := range g.Series {
		if len(s.Ops) != 1 || !s.Ops[0].Hist.Equal(refSec[i]) {
			t.Errorf("second %d differs", i)
		}
	}
}

func TestRecorderCounters(t *testing.T) {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "s"}, fixtureStart, clk.now)
	// Invocation 1: 3 writes allowed (limit 2: one violation), 1 refused.
	for i := 0; i < 3; i++ {
		r.RecordLimit("max_writes_per_invocation", false)
	}
	r.RecordLimit("max_writes_per_invocation", true)
	r.RecordLimit("max_value_bytes", true)
	r.Record(OpInvocation, CodeOK, time.Microsecond)
	// Invocation 2: 2 writes allowed, no violation; 300 reads (map path).
	r.RecordLimit("max_writes_per_invocation", false)
	r.RecordLimit("max_writes_per_invocation", false)
	for i := 0; i < 300; i++ {
		r.RecordLimit("max_reads_per_invocation", false)
	}
	r.Record(OpInvocation, CodeOK, time.Microsecond)
	r.RecordStart(2*time.Millisecond, false)
	r.RecordStart(0, true)
	r.RecordStart(10*time.Microsecond, false)
	r.RecordQuota("a", 95, 100)
	r.Record(OpSparkSet, CodeQuotaExceeded, time.Microsecond)
	r.Record(OpSparkSet, 120, time.Microsecond) // code outside the fast range
	r.RecordQuota("a", 5, 100)
	r.Record(OpSparkSet, CodeOK, time.Microsecond)
	g := Build(RunInfo{}, []*Recorder{r}).Groups[0]
	run := Build(RunInfo{Limits: []LimitConfig{{"max_writes_per_invocation", 2}, {"max_reads_per_invocation", 1000}, {"max_value_bytes", 10}}}, []*Recorder{r})
	rows := run.LimitTable()
	if len(rows) != 3 {
		t.Fatalf("limit rows %+v", rows)
	}
	for _, tc := range []struct {
		name                     string
		decisions, refused, over int64
		violations               int64
	}{
		{"max_reads_per_invocation", 300, 0, 0, 0},
		{"max_value_bytes", 1, 1, 1, -1},
		{"max_writes_per_invocation", 6, 1, 2, 1},
	} {
		var row LimitRow
		for _, x := range rows {
			if x.Name == tc.name {
				row = x
			}
		}
		if row.Decisions != tc.decisions || row.Refused != tc.refused || row.AttemptsOver() != tc.over || row.Violations() != tc.violations {
			t.Errorf("%s: %+v over %d violations %d", tc.name, row, row.AttemptsOver(), row.Violations())
		}
	}
	if run.Violations() != 1 {
		t.Errorf("run violations %d", run.Violations())
	}
	if g.Starts.Total != 3 || g.Starts.Dropped != 1 || g.Starts.Late != 1 || g.Starts.Lateness.Count() != 2 {
		t.Errorf("starts %+v", g.Starts)
	}
	if b := g.Pressure[9]; b.Writes != 2 || b.QuotaExceeded != 1 {
		t.Errorf("band 90%%: %+v", b)
	}
	if b := g.Pressure[0]; b.Writes != 1 || b.QuotaExceeded != 0 {
		t.Errorf("band 0%%: %+v", b)
	}
	set := g.op(OpSparkSet, false)
	if set.Count() != 3 || set.Errors() != 2 || len(set.Codes) != 3 {
		t.Errorf("set %+v", set.Codes)
	}
	if s := g.Series[0]; len(s.Refusals) != 2 || s.Quota[0].Used != 95 {
		t.Errorf("second 0: %+v", s)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rep := fixtureReport("memory", "bbolt")
	var a bytes.Buffer
	if err := WriteJSON(&a, rep); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, back); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("JSON does not round-trip byte for byte")
	}
	g0, g1 := rep.Runs[1].Groups[0], back.Runs[1].Groups[0]
	if !g0.op(OpSparkSet, false).All().Equal(g1.op(OpSparkSet, false).All()) {
		t.Fatal("histogram changed")
	}
	if !back.Runs[0].Info.Started.Equal(fixtureStart) {
		t.Fatal("start time changed")
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not json", "nope", "read json"},
		{"schema", `{"Schema":"other/v9"}`, "unsupported result schema"},
		{"unknown field", `{"Schema":"sparkbench.report/v1","Bogus":1}`, "unknown field"},
		{"bad hist", `{"Schema":"sparkbench.report/v1","Runs":[{"Groups":[{"Ops":[{"Op":"spark_get","Codes":[{"Code":0,"Hist":"!!"}]}]}]}]}`, "bad histogram"},
		{"bad op", `{"Schema":"sparkbench.report/v1","Runs":[{"Groups":[{"Ops":[{"Op":"spark_nope"}]}]}]}`, "unknown op"},
		{"null run", `{"Schema":"sparkbench.report/v1","Runs":[null]}`, "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzJSONRoundTrip: whatever ReadJSON accepts, it writes back to JSON that
// reads back to the same bytes.
func FuzzJSONRoundTrip(f *testing.F) {
	// A small but complete seed: the fuzzer minimizes every new input, and
	// with the 20 KB fixture each minimization takes minutes.
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "s", Node: "n", Backend: "bbolt"}, fixtureStart, clk.now)
	r.Record(OpSparkGet, CodeOK, 1200)
	r.Record(OpSparkSet, CodeQuotaExceeded, 30000)
	r.RecordQuota("site", 90, 100)
	r.Record(OpSparkSet, CodeOK, 40000)
	r.RecordLimit("max_writes_per_invocation", false)
	r.Record(OpInvocation, 101, 50000)
	r.RecordStart(2*time.Millisecond, false)
	r.RecordStatus(200, true)
	rep := NewReport(Build(RunInfo{Backend: "bbolt", Started: fixtureStart, Limits: []LimitConfig{{"max_writes_per_invocation", 1}}}, []*Recorder{r}))
	rep.Env = Env{}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"Schema":"sparkbench.report/v1","Runs":[]}`))
	// The fields v2 added: a paired run, overrides, a partial merge.
	rep.Runs[0].Info.AB = &ABInfo{Session: "s", Side: SideNew, Pair: 3, First: true, Config: true, Variant: "sb run", Build: "sha256:00"}
	rep.Runs[0].Info.Overrides = []string{"seed=3"}
	rep.Runs[0].Info.Shard, rep.Runs[0].Info.Partial = "merged 1/4,3/4", true
	rep.Env.Build = "sha256:0123456789abcdef"
	buf.Reset()
	if err := WriteJSON(&buf, rep); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadJSON(bytes.NewReader(in))
		if err != nil {
			return
		}
		// Whatever reads must render.
		for _, render := range []func(io.Writer, *Report) error{WriteText, WriteMarkdown, WriteHTML, WriteBench} {
			if err := render(io.Discard, rep); err != nil {
				t.Fatalf("render: %v", err)
			}
		}
		if _, err := Compare(rep, rep, DefaultCompareOptions()); err != nil && !errors.Is(err, ErrCompare) {
			t.Fatalf("compare: %v", err)
		}
		var a, b bytes.Buffer
		if err := WriteJSON(&a, rep); err != nil {
			return // e.g. a decoded value JSON cannot re-encode (NaN)
		}
		back, err := ReadJSON(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, a.Bytes())
		}
		if err := WriteJSON(&b, back); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Fatalf("not stable:\n%s\n%s", a.Bytes(), b.Bytes())
		}
	})
}

// TestJSONGolden pins the JSON schema: a change in layout shows up here and
// must come with a SchemaVersion decision. The files double as inputs of the
// cmd/sparkbench report/merge/compare tests (copied there).
func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fixtureReport("memory", "bbolt")); err != nil {
		t.Fatal(err)
	}
	golden(t, "result_two_backends.json", buf.Bytes())
	shard := func(i int) []byte {
		run := fixtureRun("bbolt", uint64(10+i), 1)
		run.Info.Shard = []string{"0/2", "1/2"}[i]
		rep := fixtureReport()
		rep.Runs = []*Run{run}
		var b bytes.Buffer
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	golden(t, "shard1.json", shard(0))
	golden(t, "shard2.json", shard(1))
}

// smallShard is a minimal result of shard i of n, as JSON.
func smallShard(t testing.TB, i, n int, shard string, seed int64) []byte {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "s", Node: "n", Backend: "bbolt"}, fixtureStart, clk.now)
	for k := 0; k <= i; k++ {
		r.Record(OpSparkGet, CodeOK, time.Duration(1000*(k+1)))
		r.Record(OpInvocation, CodeOK, time.Duration(9000*(k+1)))
	}
	r.RecordStart(time.Millisecond, i == 0)
	r.RecordLimit("max_reads_per_invocation", false)
	rep := NewReport(Build(RunInfo{Backend: "bbolt", FileSHA256: "h", Seed: seed, Shard: shard, Started: fixtureStart, Duration: time.Second}, []*Recorder{r}))
	rep.Env = Env{Build: "sha256:b"}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzMerge: any two results that read merge without panicking; a merge
// that succeeds is exact (every input's samples, once), covers the union of
// the shards, is partial only when shards are missing, and reads back; a
// merge that fails says why, on one line, with ErrMerge. The inputs are a
// few KB each: fuzz with -fuzzminimizetime 2s, or the minimization of each
// new input takes minutes.
func FuzzMerge(f *testing.F) {
	s0, s1 := smallShard(f, 0, 2, "0/2", 1), smallShard(f, 1, 2, "1/2", 1)
	f.Add(s0, s1)
	f.Add(s0, s0)                                       // the same shard twice
	f.Add(s0, smallShard(f, 1, 3, "1/3", 1))            // different splits
	f.Add(s0, smallShard(f, 1, 2, "1/2", 2))            // different seeds
	f.Add(s0, smallShard(f, 1, 2, "", 1))               // a whole run
	f.Add(s0, smallShard(f, 1, 2, "merged 0/2,1/2", 1)) // a merge with its own shard
	f.Add(s0, smallShard(f, 2, 4, "merged 1/4,2/4", 1))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var reps []*Report
		for k, in := range [][]byte{a, b} {
			rep, err := ReadJSON(bytes.NewReader(in))
			if err != nil {
				return
			}
			for _, r := range rep.Runs {
				r.Source = fmt.Sprintf("in%d.json", k)
			}
			reps = append(reps, rep)
		}
		var want [NumOps]int64
		for _, rep := range reps {
			for _, r := range rep.Runs {
				for op := Op(0); op < NumOps; op++ {
					want[op] += r.Op(op).Count()
				}
			}
		}
		for _, partial := range []bool{false, true} {
			m, err := MergeReports(reps, MergeOptions{AllowPartial: partial})
			if err != nil {
				if !errors.Is(err, ErrMerge) {
					t.Fatalf("error without ErrMerge: %v", err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("multi-line error: %q", err)
				}
				continue
			}
			var got [NumOps]int64
			for _, r := range m.Runs {
				set, err := parseShardSet(r.Info.Shard)
				if err != nil || !set.merged {
					t.Fatalf("merged run shard %q: %v", r.Info.Shard, err)
				}
				if r.Info.Partial != (len(set.idx) < set.n) && !r.Info.Partial {
					t.Fatalf("run %s: partial %v, covers %v of %d", r.Name(), r.Info.Partial, set.idx, set.n)
				}
				if !partial && r.Info.Partial && !inputPartial(reps) {
					t.Fatalf("partial result without --allow-partial")
				}
				for op := Op(0); op < NumOps; op++ {
					got[op] += r.Op(op).Count()
				}
			}
			if got != want {
				t.Fatalf("samples %v, want %v", got, want)
			}
			var buf bytes.Buffer
			if err := WriteJSON(&buf, m); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadJSON(&buf); err != nil {
				t.Fatalf("merged result does not read back: %v", err)
			}
		}
	})
}

func inputPartial(reps []*Report) bool {
	for _, rep := range reps {
		for _, r := range rep.Runs {
			if r.Info.Partial {
				return true
			}
		}
	}
	return false
}
