package reports

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	rep := fixtureReport("memory")
	// Fixture facts: spark_get p99 ≈ 1.2µs, spark_set max ≈ 50µs, 73
	// quota_exceeded (75), 1 timeout, 1 violation (reads), 15 dropped, 400/s.
	for _, tc := range []struct {
		key, expr string
		pass      bool
	}{
		{"spark_get.p99", "< 20us", true},
		{"spark_get.p99", "< 1us", false},
		{"spark_get.p50", "<= 5ms", true},
		{"spark_get.p99.9", "< 2µs", true},
		{"spark_set.max", "< 40us", false},
		{"spark_set.mean", "> 1us", true},
		{"spark_get.rate", "> 1000", false},
		{"spark_get.rate", ">= 399/s", true},
		{"errors.quota_exceeded", "== 75", true},
		{"errors.timeout", "== 0", false},
		{"errors", "== 76", true},
		{"limit_violations", "== 0", false},
		{"dropped", "== 15", true},
		{"dropped", "!= 15", false},
	} {
		t.Run(tc.key+tc.expr, func(t *testing.T) {
			rs, err := Evaluate(rep, map[string]string{tc.key: tc.expr})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Pass != tc.pass {
				t.Fatalf("got %+v, want pass=%v", rs, tc.pass)
			}
		})
	}
}

func TestEvaluateInvalid(t *testing.T) {
	rep := fixtureReport("memory")
	for _, tc := range []struct{ key, expr, want string }{
		{"spark_nope.p99", "< 1ms", "unknown metric"},
		{"spark_get.p99", "1ms", "want an operator"},
		{"spark_get.p99", "< fast", "want a duration"},
		{"spark_get.p200", "< 1ms", "unknown statistic"},
		{"spark_get.median", "< 1ms", "unknown statistic"},
		{"dropped", "< many", "want a number"},
		{"errors.", "== 0", "missing code"},
	} {
		_, err := Evaluate(rep, map[string]string{tc.key: tc.expr, "dropped": "== 0"})
		if !errors.Is(err, ErrThreshold) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"`+tc.key+`"`) {
			t.Errorf("%s %q: err = %v, want %q naming the key", tc.key, tc.expr, err, tc.want)
		}
	}
}

func TestEvaluateEveryRun(t *testing.T) {
	rep := fixtureReport("memory", "bbolt")
	rs, err := Evaluate(rep, map[string]string{"spark_set.p99": "< 100us", "dropped": "< 100"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[0].Key != "dropped" || rs[2].Run != "memory" || !rs[2].Pass || rs[3].Run != "bbolt" || rs[3].Pass {
		t.Fatalf("%+v", rs)
	}
	if !ThresholdsFailed(rs) {
		t.Fatal("ThresholdsFailed = false")
	}
}

// TestErrorsCountEveryFailedRequest: a response with a status the scenario
// does not expect is an error (errors, errors.status) although its
// invocation succeeded; a failed invocation counts once, not again for its
// response.
func TestErrorsCountEveryFailedRequest(t *testing.T) {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "pages", Node: "edge"}, fixtureStart, clk.now)
	for i := 0; i < 150; i++ {
		r.Record(OpInvocation, CodeOK, time.Microsecond)
		r.Record(OpResponse, CodeStatus, time.Microsecond)
		r.RecordStatus(500, false)
	}
	for i := 0; i < 3; i++ {
		r.Record(OpInvocation, 101, time.Microsecond) // trap
		r.Record(OpResponse, 101, time.Microsecond)
	}
	r.Record(OpSparkSet, CodeQuotaExceeded, time.Microsecond)
	rep := NewReport(Build(RunInfo{Backend: "memory", Duration: time.Second}, []*Recorder{r}))
	for key, want := range map[string]float64{"errors": 154, "errors.status": 150, "errors.trap": 3, "errors.quota_exceeded": 1} {
		rs, err := Evaluate(rep, map[string]string{key: "== 0"})
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].Actual != want || rs[0].Pass {
			t.Errorf("%s = %v (pass %v), want %v", key, rs[0].Actual, rs[0].Pass, want)
		}
	}
	if n := rep.Runs[0].OpErrors(OpResponse); n != 153 {
		t.Errorf("response errors %d, want 153 (150 statuses, 3 traps)", n)
	}
}
