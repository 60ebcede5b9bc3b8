package reports

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeClock is a settable clock for recorders in tests.
type fakeClock struct{ t int64 }

func (c *fakeClock) now() int64 { return c.t }

var fixtureStart = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fixtureRun builds a deterministic run for one backend: two workers on one
// scenario, three seconds, reads, writes under growing quota fill, limits,
// open-loop starts. scale multiplies write latencies (to make backends differ).
func fixtureRun(backend string, seed uint64, scale float64) *Run {
	rng := rand.New(rand.NewPCG(seed, 7))
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	var recs []*Recorder
	for w := 0; w < 2; w++ {
		recs = append(recs, newTestRecorder(Labels{Scenario: "limiter", Node: "edge-fra", Backend: backend}, fixtureStart, clk.now))
	}
	// A second scenario on another node: a few pulls.
	puller := newTestRecorder(Labels{Scenario: "warm", Node: "edge-ams", Backend: backend}, fixtureStart, clk.now)
	for i := 0; i < 30; i++ {
		clk.t = fixtureStart.UnixNano() + int64(i)*int64(100*time.Millisecond)
		puller.Record(OpSparkPull, CodeOK, time.Duration(2000000+rng.IntN(500000)))
		puller.Record(OpInvocation, CodeOK, time.Duration(2100000+rng.IntN(500000)))
	}
	recs = append(recs, puller)
	used := int64(0)
	const quota = 1 << 20
	for sec := 0; sec < 3; sec++ {
		for i := 0; i < 400; i++ {
			clk.t = fixtureStart.UnixNano() + int64(sec)*int64(time.Second) + int64(i)*int64(time.Second)/400
			r := recs[i%2]
			r.RecordStart(time.Duration(rng.ExpFloat64()*float64(200*time.Microsecond)), i%97 == 0)
			code := CodeOK
			if rng.IntN(5) == 0 {
				code = CodeMiss
			}
			get := time.Duration(800+rng.IntN(400)) * time.Nanosecond
			r.Record(OpSparkGet, code, get)
			r.Record(OpBackendRead, CodeOK, get/2)
			setCode := CodeOK
			if used >= quota*9/10 && rng.IntN(3) == 0 {
				setCode = CodeQuotaExceeded
			} else {
				used += 1000
			}
			set := time.Duration(scale * float64(20000+rng.IntN(30000)))
			r.Record(OpSparkSet, setCode, set)
			if setCode == CodeOK {
				r.Record(OpBackendWrite, CodeOK, set*3/4)
			}
			r.RecordQuota("shop.example", used, quota)
			inv := get + set + time.Duration(1500+rng.IntN(500))
			// Every read and write is a decision; every 50th invocation
			// tries a third write, refused by max_writes_per_invocation (2).
			r.RecordLimit("max_reads_per_invocation", false)
			r.RecordLimit("max_writes_per_invocation", false)
			if i%50 == 0 {
				r.RecordLimit("max_writes_per_invocation", false)
				r.RecordLimit("max_writes_per_invocation", true)
			}
			r.Record(OpInvocation, CodeOK, inv)
			r.Record(OpResponse, CodeOK, inv+time.Duration(rng.IntN(5000)))
			r.RecordStatus(200, true)
			if i == 399 && sec == 2 {
				// A host bug: three reads allowed beyond max_reads_per_invocation
				// (2) in one invocation, and a refused oversized value.
				for k := 0; k < 5; k++ {
					r.RecordLimit("max_reads_per_invocation", false)
				}
				r.RecordLimit("max_value_bytes", true)
				r.Record(OpInvocation, 102, time.Millisecond)
				r.RecordStatus(500, false)
			}
		}
	}
	info := RunInfo{
		Workload: "ratelimit-hot-clients", File: "workloads/ratelimit.yaml",
		FileSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Backend:    backend, Durability: "group", Durable: backend != "memory", TimeoutMode: "epoch",
		Seed: 42, Started: fixtureStart, Duration: 3 * time.Second,
		Limits: []LimitConfig{{"max_reads_per_invocation", 2}, {"max_writes_per_invocation", 2},
			{"max_pulls_per_invocation", 1}, {"max_value_bytes", 65536}},
		TimerOverhead: 31 * time.Nanosecond,
		CodeNames:     map[int32]string{102: "timeout"},
	}
	return Build(info, recs)
}

func fixtureReport(backends ...string) *Report {
	var runs []*Run
	for i, b := range backends {
		runs = append(runs, fixtureRun(b, uint64(i+1), float64(1+4*i)))
	}
	rep := NewReport(runs...)
	rep.Env = Env{GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", CPU: "Test CPU @ 3.0GHz", NumCPU: 2, GOMAXPROCS: 2, Version: "v0.1.0"}
	return rep
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden (go test ./reports -run %s -update to accept):\n--- got ---\n%s", path, t.Name(), got)
	}
}

// newTestRecorder is a recorder on a fake clock in Unix nanoseconds.
func newTestRecorder(l Labels, start time.Time, now func() int64) *Recorder {
	return newRecorder(l, start.UnixNano(), now)
}

// mergeShardRuns merges runs, each a shard of one split, as `sparkbench
// merge` does: each in a report of its own, through MergeReports.
func mergeShardRuns(runs []*Run) (*Run, error) {
	reps := make([]*Report, len(runs))
	for i, r := range runs {
		reps[i] = &Report{Schema: SchemaVersion, Runs: []*Run{r}}
	}
	m, err := MergeReports(reps, MergeOptions{})
	if err != nil {
		return nil, err
	}
	return m.Runs[0], nil
}
