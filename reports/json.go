package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sparkbench/sparkbench/internal/safefile"
)

// WriteJSON writes rep in the versioned schema. Histograms are written in
// HdrHistogram's V2 compressed encoding (base64): reading the result back
// gives the same bucket counts, and writing it again gives the same bytes.
func WriteJSON(w io.Writer, rep *Report) error {
	if rep.Schema == "" {
		rep.Schema = SchemaVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("reports: write json: %w", err)
	}
	return nil
}

// Bounds on what a result file may hold, checked by ReadJSON: sums of up to
// MaxRuns counts or durations (merging shards, pooling repeats) stay below
// 2^62, so they can never overflow.
const (
	// MaxRuns is the most runs a report may hold and the most runs one
	// merge or one side of a comparison may combine.
	MaxRuns = 4096
	// MaxCount bounds every count: a histogram's total, counters, starts.
	// 2^50 is 35 years of a billion samples a second.
	MaxCount = 1 << 50
	// MaxDuration bounds a run's measured duration and timer overhead
	// (about 13 days).
	MaxDuration = time.Duration(1 << 50)
)

// MaxFileBytes caps a result file read by ReadFile: a long soak with many
// groups stays far below it, /dev/zero does not.
const MaxFileBytes = 1 << 30

// ReadFile reads a result file (at most MaxFileBytes, a regular file: see
// internal/safefile) with ReadJSON. Errors name the path; each run's Source
// is set to it, so that Merge and Compare can name the file a run came
// from.
func ReadFile(path string) (*Report, error) {
	data, err := safefile.ReadFile(path, MaxFileBytes)
	if err != nil {
		return nil, err // *fs.PathError: names the path
	}
	rep, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range rep.Runs {
		r.Source = path
	}
	return rep, nil
}

// ReadJSON reads a report written by WriteJSON, in the current schema or
// SchemaV1, and checks it: no missing histograms, no trailing data, every
// count and duration in range (ErrRange), shard and A/B labels well formed.
// A v1 report comes back as the current version (the fields v1 lacks are
// zero).
func ReadJSON(r io.Reader) (*Report, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rep Report
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("reports: read json: %w", err)
	}
	if rep.Schema != SchemaVersion && rep.Schema != SchemaV1 {
		return nil, fmt.Errorf("%w: %q (this sparkbench reads %q and %q)", ErrSchema, rep.Schema, SchemaVersion, SchemaV1)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the result document", ErrSchema)
	}
	rep.Schema = SchemaVersion
	if err := rep.validate(); err != nil {
		return nil, err
	}
	return &rep, nil
}

// validate checks what the JSON decoder cannot: no missing histograms, and
// values in range.
func (rep *Report) validate() error {
	if len(rep.Runs) > MaxRuns {
		return fmt.Errorf("%w: %d runs, at most %d", ErrRange, len(rep.Runs), MaxRuns)
	}
	for i, run := range rep.Runs {
		if run == nil {
			return fmt.Errorf("%w: run %d is null", ErrSchema, i)
		}
		if err := run.Info.validate(); err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		for _, g := range run.Groups {
			if g == nil {
				return fmt.Errorf("%w: run %d has a null group", ErrSchema, i)
			}
			if err := g.validate(); err != nil {
				return fmt.Errorf("run %d group %v: %w", i, g.Labels, err)
			}
			if err := g.checkAccounting(); err != nil {
				return fmt.Errorf("%w: run %d group %v: %v", ErrSchema, i, g.Labels, err)
			}
		}
	}
	return nil
}

func (in *RunInfo) validate() error {
	switch {
	case in.Duration < 0 || in.Duration > MaxDuration:
		return fmt.Errorf("%w: duration %v", ErrRange, in.Duration)
	case in.TimerOverhead < 0 || in.TimerOverhead > MaxDuration:
		return fmt.Errorf("%w: timer overhead %v", ErrRange, in.TimerOverhead)
	case in.Repeat < 0 || in.Repeat >= MaxRuns:
		return fmt.Errorf("%w: repeat %d", ErrRange, in.Repeat)
	}
	if _, err := parseShardSet(in.Shard); err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if ab := in.AB; ab != nil {
		if ab.Side != SideBase && ab.Side != SideNew {
			return fmt.Errorf("%w: A/B side %q (want %s or %s)", ErrSchema, ab.Side, SideBase, SideNew)
		}
		if ab.Pair < 1 || ab.Pair > MaxRuns {
			return fmt.Errorf("%w: A/B pair %d", ErrRange, ab.Pair)
		}
	}
	return nil
}

func checkCount(what string, n int64) error {
	if n < 0 || n > MaxCount {
		return fmt.Errorf("%w: %s %d", ErrRange, what, n)
	}
	return nil
}

func (g *Group) validate() error {
	for _, o := range g.Ops {
		if o == nil {
			return fmt.Errorf("%w: null op", ErrSchema)
		}
		if o.Op >= NumOps {
			return fmt.Errorf("%w: op %d", ErrSchema, o.Op)
		}
		var total int64
		for _, c := range o.Codes {
			if c.Hist == nil {
				return fmt.Errorf("%w: op %v code %d: no histogram", ErrSchema, o.Op, c.Code)
			}
			// Each histogram is at most MaxCount (UnmarshalJSON), so the
			// sum of a few cannot overflow before it is checked.
			if total += c.Hist.Count(); total > MaxCount {
				return fmt.Errorf("%w: op %v: %d samples", ErrRange, o.Op, total)
			}
		}
	}
	for t, s := range g.Series {
		if s.T != t {
			return fmt.Errorf("%w: second %d of the series is labelled %d", ErrSchema, t, s.T)
		}
		for _, so := range s.Ops {
			if so.Hist == nil {
				return fmt.Errorf("%w: second %d: no histogram", ErrSchema, s.T)
			}
			if err := checkCount(fmt.Sprintf("second %d errors", s.T), so.Errors); err != nil {
				return err
			}
		}
		for _, c := range s.Refusals {
			if err := checkCount(fmt.Sprintf("second %d refusals", s.T), c.Count); err != nil {
				return err
			}
		}
		for _, q := range s.Quota {
			if q.Used < 0 || q.Quota < 0 {
				return fmt.Errorf("%w: second %d: quota fill %d of %d", ErrRange, s.T, q.Used, q.Quota)
			}
		}
	}
	if len(g.Pressure) != numBands {
		return fmt.Errorf("%w: %d pressure bands, want %d", ErrSchema, len(g.Pressure), numBands)
	}
	for _, b := range g.Pressure {
		if b.Hist == nil {
			return fmt.Errorf("%w: pressure band without histogram", ErrSchema)
		}
		if err := checkCount("pressure band writes", b.Writes); err != nil {
			return err
		}
		if err := checkCount("pressure band refusals", b.QuotaExceeded); err != nil {
			return err
		}
	}
	for _, l := range g.Limits {
		if err := checkCount("limit "+l.Name+" decisions", l.Decisions); err != nil {
			return err
		}
		if err := checkCount("limit "+l.Name+" refusals", l.Refused); err != nil {
			return err
		}
		// Each invocation's allowed decisions are decisions: their sum is
		// bounded by Decisions, which keeps Violations from overflowing.
		var allowed int64
		for _, p := range l.AllowedPerInvocation {
			if p[0] < 1 || p[1] < 0 || p[1] > 0 && p[0] > (l.Decisions-allowed)/p[1] {
				return fmt.Errorf("%w: limit %s: %d invocations allowed %d decisions each, beyond its %d decisions", ErrRange, l.Name, p[1], p[0], l.Decisions)
			}
			allowed += p[0] * p[1]
		}
	}
	st := g.Starts
	if st.Lateness == nil {
		return fmt.Errorf("%w: no lateness histogram", ErrSchema)
	}
	for _, c := range []struct {
		what string
		n    int64
	}{{"starts", st.Total}, {"late starts", st.Late}, {"dropped starts", st.Dropped}} {
		if err := checkCount(c.what, c.n); err != nil {
			return err
		}
	}
	if st.LateThreshold < MixedLateThreshold || st.LateThreshold > MaxDuration {
		return fmt.Errorf("%w: late threshold %v", ErrRange, st.LateThreshold)
	}
	for _, s := range g.Status {
		if s.Status < 0 || s.Status > 999 {
			return fmt.Errorf("%w: HTTP status %d", ErrRange, s.Status)
		}
		if err := checkCount(fmt.Sprintf("status %d", s.Status), s.Count); err != nil {
			return err
		}
	}
	return nil
}
