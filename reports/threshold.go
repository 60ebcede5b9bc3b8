package reports

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sparkbench/sparkbench/internal/measure"
)

// ThresholdResult is the outcome of one threshold on one run.
type ThresholdResult struct {
	Key, Expr string
	// File is the workload file the threshold comes from, when the runner
	// says (sparkbench run sets it: a run of several files judges each
	// file's thresholds on its own runs).
	File    string  `json:",omitempty"`
	Run     string  // the run it was checked on (Run.Name)
	Actual  float64 // measured value: ns for latencies, per second for rates, else a count
	Display string  // Actual formatted for people
	Pass    bool
}

// ThresholdsFailed reports whether any result failed.
func ThresholdsFailed(rs []ThresholdResult) bool {
	for _, r := range rs {
		if !r.Pass {
			return true
		}
	}
	return false
}

type threshold struct {
	key, expr string
	metric    metricFunc
	isDur     bool
	isPct     bool // a pass rate in percent: the value must end in %
	cmp       string
	limit     float64
}

type metricFunc func(run *Run) float64

// ParseThresholds checks every threshold key and expression without
// evaluating them, so a workload file can be rejected before a run. The
// error names the first bad key (keys in sorted order).
func ParseThresholds(thresholds map[string]string) error {
	_, err := parseThresholds(thresholds)
	return err
}

func parseThresholds(m map[string]string) ([]threshold, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ts []threshold
	for _, k := range keys {
		t, err := parseThreshold(k, m[k])
		if err != nil {
			return nil, fmt.Errorf("%w %q: %s", ErrThreshold, k, err)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// Threshold keys:
//
//	OP.p50 OP.p90 OP.p99 OP.p99.9 OP.max OP.mean  latency of OP (all outcomes)
//	OP.rate                                       samples of OP per second of its scenarios' active time
//	errors                                        error outcomes of every op, each failed request once
//	errors.CODE                                   outcomes named CODE ("quota_exceeded", "timeout", "status")
//	limit_violations                              attempts over a limit the host let through
//	dropped                                       open-loop starts dropped
//	checks                                        % of check evaluations that passed
//	checks.NAME                                   % of the named check's evaluations that passed
//
// Expressions: "< V", "<= V", "> V", ">= V", "== V", "!= V"; V is a duration
// (20us, 1.5ms) for latencies and a number for the rest ("1000", "1000/s").
func parseThreshold(key, expr string) (threshold, error) {
	t := threshold{key: key, expr: expr}
	switch {
	case key == "errors":
		t.metric = func(run *Run) float64 { return float64(runErrors(run, nil)) }
	case strings.HasPrefix(key, "errors."):
		name := strings.TrimPrefix(key, "errors.")
		if name == "" {
			return t, fmt.Errorf("missing code name after errors.")
		}
		t.metric = func(run *Run) float64 { return float64(runErrors(run, &name)) }
	case key == "checks" || strings.HasPrefix(key, "checks."):
		name := strings.TrimPrefix(strings.TrimPrefix(key, "checks"), ".")
		if key != "checks" && name == "" {
			return t, fmt.Errorf("missing check name after checks.")
		}
		t.isPct = true
		t.metric = func(run *Run) float64 {
			pct, n := run.CheckRate(name)
			if n == 0 {
				return math.NaN() // nothing evaluated: no comparison passes
			}
			return pct
		}
	case key == "limit_violations":
		t.metric = func(run *Run) float64 { return float64(run.Violations()) }
	case key == "dropped":
		t.metric = func(run *Run) float64 { return float64(run.Starts().Dropped) }
	default:
		opName, stat, ok := strings.Cut(key, ".")
		op, known := ParseOp(opName)
		if !ok || !known {
			return t, fmt.Errorf("unknown metric (want OP.p99, OP.max, OP.rate, errors, errors.CODE, limit_violations, dropped, checks or checks.NAME; OP one of %s)", strings.Join(measure.OpNames(), ", "))
		}
		switch stat {
		case "rate":
			t.metric = func(run *Run) float64 { return run.Rate(op) }
		case "max":
			t.isDur = true
			t.metric = func(run *Run) float64 { return float64(run.Op(op).Max()) }
		case "mean":
			t.isDur = true
			t.metric = func(run *Run) float64 { return float64(run.Op(op).Mean()) }
		default:
			q, err := parsePercentile(stat)
			if err != nil {
				return t, err
			}
			t.isDur = true
			t.metric = func(run *Run) float64 { return float64(run.Op(op).Quantile(q)) }
		}
	}
	e := strings.TrimSpace(expr)
	for _, c := range []string{"<=", ">=", "==", "!=", "<", ">"} {
		if strings.HasPrefix(e, c) {
			t.cmp = c
			e = strings.TrimSpace(e[len(c):])
			break
		}
	}
	if t.cmp == "" {
		return t, fmt.Errorf("expression %q: want an operator (<, <=, >, >=, ==, !=) and a value", expr)
	}
	if t.isPct {
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(e, "%")), 64)
		if err != nil || !strings.HasSuffix(e, "%") || math.IsNaN(v) || v < 0 || v > 100 {
			return t, fmt.Errorf("expression %q: want a percentage such as 99.9%%", expr)
		}
		t.limit = v
	} else if t.isDur {
		d, err := time.ParseDuration(strings.ReplaceAll(e, "µ", "u"))
		if err != nil {
			return t, fmt.Errorf("expression %q: want a duration such as 20us or 5ms", expr)
		}
		t.limit = float64(d)
	} else {
		v, err := strconv.ParseFloat(strings.TrimSuffix(e, "/s"), 64)
		if err != nil || math.IsNaN(v) {
			return t, fmt.Errorf("expression %q: want a number", expr)
		}
		t.limit = v
	}
	return t, nil
}

func parsePercentile(stat string) (float64, error) {
	if !strings.HasPrefix(stat, "p") {
		return 0, fmt.Errorf("unknown statistic %q (want p50, p90, p99, p99.9, max, mean or rate)", stat)
	}
	v, err := strconv.ParseFloat(stat[1:], 64)
	if err != nil || v <= 0 || v > 100 {
		return 0, fmt.Errorf("unknown statistic %q (want p50, p90, p99, p99.9, max, mean or rate)", stat)
	}
	return v / 100, nil
}

func (t threshold) check(v float64) bool {
	switch t.cmp {
	case "<":
		return v < t.limit
	case "<=":
		return v <= t.limit
	case ">":
		return v > t.limit
	case ">=":
		return v >= t.limit
	case "==":
		return v == t.limit
	default:
		return v != t.limit
	}
}

// Evaluate checks threshold expressions ("spark_get.p99": "< 20us", ...) on
// every run of rep and returns one result per threshold and run, ordered by
// key then run. An invalid key or expression is an error wrapping
// ErrThreshold that names the key.
func Evaluate(rep *Report, thresholds map[string]string) ([]ThresholdResult, error) {
	ts, err := parseThresholds(thresholds)
	if err != nil {
		return nil, err
	}
	var out []ThresholdResult
	for _, t := range ts {
		for _, run := range rep.Runs {
			v := t.metric(run)
			disp := formatCount(v)
			if t.isPct {
				disp = "no evaluations"
				if !math.IsNaN(v) {
					disp = formatPct(v)
				}
			} else if t.isDur {
				disp = fmtDur(time.Duration(v))
			} else if strings.HasSuffix(t.key, ".rate") {
				disp = formatRate(v)
			}
			out = append(out, ThresholdResult{Key: t.key, Expr: t.expr, Run: run.Name(), Actual: v, Display: disp, Pass: t.check(v)})
		}
	}
	return out, nil
}

// runErrors counts error outcomes over all operations; name restricts to
// one code name. Of the responses only CodeStatus counts (the invocation
// succeeded, the status was not expected): a response's other error
// outcomes repeat its invocation's, so that every failed request counts
// once.
func runErrors(run *Run, name *string) int64 {
	var n int64
	for _, g := range run.Groups {
		for _, o := range g.Ops {
			for _, c := range o.Codes {
				if o.Op == OpResponse && c.Code != CodeStatus {
					continue
				}
				if name == nil && IsError(c.Code) || name != nil && CodeName(c.Code, run.Info.CodeNames) == *name {
					n += c.Hist.Count()
				}
			}
		}
	}
	return n
}
