package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/workloads"
)

// TestFailureMessagesRecorded: a flare failing in four ways gets each
// failure counted under its own message, with its outcome.
func TestFailureMessagesRecorded(t *testing.T) {
	w, err := workloads.ParseFile("testdata/failing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run, prog := runWithProgress(t, w)
	if e := prog.Scenarios[0].Errors(); e != 40 {
		t.Errorf("progress counted %d errors, want 40", e)
	}
	var g *reports.Group
	for _, x := range run.Groups {
		if x.Labels.Scenario == "fails" {
			g = x
		}
	}
	got := map[string]int64{}
	for _, f := range g.Failures {
		got[reports.CodeName(f.Code, run.Info.CodeNames)+": "+f.Message] = f.Count
	}
	want := map[string]int64{
		"trap: unreachable":                                       10,
		"trap: integer divide by zero":                            10,
		`trap: env.abort: "boom" at assembly/index.ts:7:5`:        10,
		`status: HTTP 500: "upstream exploded: connection reset"`: 10,
	}
	if len(got) != len(want) || g.OtherFailures != 0 {
		t.Errorf("failures %v (other %d), want %v", got, g.OtherFailures, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%q: %d, want %d", k, got[k], n)
		}
	}
	if n := run.OpErrors(reports.OpResponse); n != 40 {
		t.Errorf("response errors %d, want 40", n)
	}
}

// TestFailureDetail: the line a failure is counted by, for the errors the
// real host gives the hostile fixtures: no flare name, no kind, the same
// for the same failure.
func TestFailureDetail(t *testing.T) {
	ctx := context.Background()
	lim := host.DefaultLimits()
	lim.InvocationTimeout = 100 * time.Millisecond
	h, err := host.New(ctx, host.Config{Limits: lim, Nodes: []host.Node{{ID: "edge"}}, Sites: []host.Site{{Domain: "a.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	hostile := filepath.Join("..", "..", "host", "testdata", "hostile")
	for _, tc := range []struct {
		file, body string
		kind       host.ErrorKind
		want       string // prefix
	}{
		{filepath.Join(hostile, "trap.wasm"), "", host.KindTrap, "unreachable"},
		{filepath.Join(hostile, "infinite_loop.wasm"), "", host.KindTimeout, "stopped after 100ms"},
		{filepath.Join(hostile, "bad_action.wasm"), "", host.KindABIViolation, "unknown action 7"},
		{filepath.Join(hostile, "alloc_trap.wasm"), "", host.KindAllocFailed, "req_url: alloc: unreachable"},
		{filepath.Join(hostile, "abi_oob.wasm"), "\x08\x00\x00\x00\x00\x00\x00\x00", host.KindABIViolation, "spark_set: "},
		{filepath.Join("testdata", "failing.wasm"), "2", host.KindTrap, "integer divide by zero"},
		{filepath.Join("testdata", "failing.wasm"), "3", host.KindTrap, `env.abort: "boom" at assembly/index.ts:7:5`},
	} {
		t.Run(filepath.Base(tc.file)+tc.body, func(t *testing.T) {
			wasm, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := h.Load(ctx, "some-flare", wasm)
			if err != nil {
				t.Fatal(err)
			}
			var firstDetail string
			for i := 0; i < 2; i++ {
				_, err = h.Invoke(ctx, f, &host.Request{Node: "edge", Site: "a.example", Method: "POST", URL: "https://a.example/x", Body: []byte(tc.body)})
				if host.KindOf(err) != tc.kind {
					t.Fatalf("error %v, kind %v, want %v", err, host.KindOf(err), tc.kind)
				}
				d := failureDetail(err)
				if !strings.HasPrefix(d, tc.want) || strings.Contains(d, "some-flare") || strings.Contains(d, tc.kind.String()+":") || strings.Contains(d, "\n") {
					t.Errorf("detail %q of %q, want %q...", d, err, tc.want)
				}
				if i == 0 {
					firstDetail = d
				} else if d != firstDetail {
					t.Errorf("the same failure reads %q, then %q", firstDetail, d)
				}
			}
		})
	}
}

func TestStatusMessage(t *testing.T) {
	long := strings.Repeat("x", statusBodyBytes) + "tail"
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{500, "upstream exploded", `HTTP 500: "upstream exploded"`},
		{404, "", "HTTP 404 (empty body)"},
		{502, "a\tb\x00\xff\"", `HTTP 502: "a\tb\x00\xff\""`},
		{503, long, `HTTP 503: "` + strings.Repeat("x", statusBodyBytes) + `"…`},
	} {
		if got := string(statusMessage(nil, tc.status, []byte(tc.body))); got != tc.want {
			t.Errorf("statusMessage(%d, %q) = %s, want %s", tc.status, tc.body, got, tc.want)
		}
	}
}

// TestFailingWorkerAllocatesNothing: a worker whose every request fails
// with the same unexpected status records it without allocating.
func TestFailingWorkerAllocatesNothing(t *testing.T) {
	w, err := workloads.Parse("overhead.yaml", []byte(overheadSrc))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := newScenarioRT(w, 0, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("upstream exploded")
	rt.invoke = func(ctx context.Context, req *host.Request, resp *host.Response) error {
		resp.Action, resp.Status, resp.Body = host.ActionRespond, 500, body
		return nil
	}
	wk := rt.newWorker(w.Seed, 0, 1, false)
	rec := reports.NewRecorder(reports.Labels{Scenario: "counter"}, time.Now())
	wk.attach(rec)
	ctx := context.Background()
	seq := int64(0)
	do := func() {
		now := time.Now()
		wk.Do(ctx, seq, now, now)
		seq++
	}
	do()
	if n := testing.AllocsPerRun(200, do); n != 0 {
		t.Errorf("%v allocations per failed request", n)
	}
	g := reports.Build(reports.RunInfo{}, []*reports.Recorder{rec}).Groups[0]
	if len(g.Failures) != 1 || g.Failures[0].Count != 202 || g.Failures[0].Message != `HTTP 500: "upstream exploded"` {
		t.Errorf("failures %+v", g.Failures)
	}
}

// TestFailingFixtureFresh: testdata/failing.wasm is what failing.wat
// assembles to (when wabt's wat2wasm is installed; CI installs it).
func TestFailingFixtureFresh(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Skip("wat2wasm not installed")
	}
	out := filepath.Join(t.TempDir(), "failing.wasm")
	if msg, err := exec.Command("wat2wasm", filepath.Join("testdata", "failing.wat"), "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, msg)
	}
	want, _ := os.ReadFile(out)
	got, err := os.ReadFile(filepath.Join("testdata", "failing.wasm"))
	if err != nil || string(got) != string(want) {
		t.Errorf("testdata/failing.wasm is stale: wat2wasm testdata/failing.wat -o testdata/failing.wasm")
	}
}
