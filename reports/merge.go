package reports

import (
	"fmt"
	"path/filepath"
	"strings"
)

// MergeOptions configure MergeReports.
type MergeOptions struct {
	// AllowPartial merges the shards present when some of a split are
	// missing, and marks the result Partial; without it missing shards
	// are an error (ErrPartial).
	AllowPartial bool
}

// mergeInput is one run offered to MergeReports, with where it came from.
type mergeInput struct {
	run   *Run
	src   string // file name, or "input N"
	set   shardSet
	build string
}

// MergeReports combines the results of shards that ran one workload at the
// same time on several machines (run --shard i/N) into one report: runs
// with the same backend and repeat are merged exactly (see mergeShards).
// The environment is the first report's.
//
// The inputs must make up whole runs: every run must be a shard or a merge
// of shards (an unsharded run carries the whole load already), all of one
// split (the same N), of the same workload (file hash, seed, overrides,
// durability, timeout mode) and of the same sparkbench build, and no shard
// may appear twice, whether in two files, as the same file given twice or
// inside an earlier merge given with one of its own shards. A split with
// shards missing is refused (ErrPartial) unless opts.AllowPartial, which
// marks the result Partial. Errors name the files (Run.Source).
func MergeReports(reps []*Report, opts MergeOptions) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("%w: no results", ErrMerge)
	}
	var ins []mergeInput
	sources := map[string]int{}
	for ri, rep := range reps {
		name := fmt.Sprintf("input %d", ri+1)
		if len(rep.Runs) > 0 && rep.Runs[0].Source != "" {
			name = rep.Runs[0].Source
			clean := filepath.Clean(name)
			if prev, ok := sources[clean]; ok {
				return nil, fmt.Errorf("%w: %s is given twice (inputs %d and %d)", ErrMerge, name, prev+1, ri+1)
			}
			sources[clean] = ri
		}
		if len(rep.Runs) == 0 {
			return nil, fmt.Errorf("%w: %s has no runs", ErrMerge, name)
		}
		for _, r := range rep.Runs {
			src := name
			if r.Source != "" {
				src = r.Source
			}
			set, err := parseShardSet(r.Info.Shard)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: run %s: %v", ErrMerge, src, r.Name(), err)
			}
			if set.n == 0 {
				return nil, fmt.Errorf("%w: %s: run %s is not a shard (it ran the whole workload); merge combines the shards of one split (run --shard i/N)", ErrMerge, src, r.Name())
			}
			ins = append(ins, mergeInput{run: r, src: src, set: set, build: buildOf(rep.Env)})
		}
	}
	if len(ins) > MaxRuns {
		return nil, fmt.Errorf("%w: %d runs, at most %d can be merged", ErrMerge, len(ins), MaxRuns)
	}
	first := ins[0]
	for _, in := range ins[1:] {
		if d := workloadDiff(first.run.Info, in.run.Info); d != "" {
			return nil, fmt.Errorf("%w: %s and %s ran different workloads (%s)", ErrMerge, first.src, in.src, d)
		}
		if in.build != first.build {
			return nil, fmt.Errorf("%w: %s and %s come from different sparkbench builds (%s vs %s)", ErrMerge, first.src, in.src, first.build, in.build)
		}
		if in.set.n != first.set.n {
			return nil, fmt.Errorf("%w: %s (shard %s) and %s (shard %s) are shards of different splits", ErrMerge,
				first.src, first.run.Info.Shard, in.src, in.run.Info.Shard)
		}
	}
	type key struct {
		backend string
		repeat  int
	}
	var order []key
	byKey := map[key][]mergeInput{}
	for _, in := range ins {
		k := key{in.run.Info.Backend, in.run.Info.Repeat}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], in)
	}
	out := &Report{Schema: SchemaVersion, Env: reps[0].Env}
	for _, k := range order {
		m, err := mergeShards(byKey[k], opts)
		if err != nil {
			return nil, err
		}
		out.Runs = append(out.Runs, m)
	}
	if err := out.validate(); err != nil {
		return nil, fmt.Errorf("%w: the merged result would be out of range: %v", ErrMerge, err)
	}
	return out, nil
}

// buildOf identifies the sparkbench build of a report: its executable hash,
// or for results written before it was recorded, version and toolchain.
func buildOf(e Env) string {
	if e.Build != "" {
		return e.Build
	}
	return e.Version + " " + e.GoVersion
}

// workloadDiff describes how two runs' workloads differ ("" if they are the
// same): workload file, seed, overrides, durability, timeout mode.
func workloadDiff(a, b RunInfo) string {
	switch {
	case a.FileSHA256 != b.FileSHA256:
		return fmt.Sprintf("workload file sha256 %.12s vs %.12s", orDash(a.FileSHA256), orDash(b.FileSHA256))
	case a.Seed != b.Seed:
		return fmt.Sprintf("seed %d vs %d", a.Seed, b.Seed)
	case strings.Join(a.Overrides, "\x00") != strings.Join(b.Overrides, "\x00"):
		return fmt.Sprintf("overrides [%s] vs [%s]", strings.Join(a.Overrides, " "), strings.Join(b.Overrides, " "))
	case a.Durability != b.Durability:
		return fmt.Sprintf("durability %s vs %s", orDash(a.Durability), orDash(b.Durability))
	case a.TimeoutMode != b.TimeoutMode:
		return fmt.Sprintf("timeout mode %s vs %s", orDash(a.TimeoutMode), orDash(b.TimeoutMode))
	}
	return ""
}

// mergeShards combines the shard runs of one backend and repeat exactly:
// histograms are added bucket by bucket, counters summed, time series
// aligned by second (second 0 of each shard is its own measured-phase
// start), quota fill per second is the largest any shard saw. The merged
// run starts at the earliest shard start and lasts as long as the longest
// shard; its limits are the union of the shards'.
func mergeShards(ins []mergeInput, opts MergeOptions) (*Run, error) {
	n := ins[0].set.n
	covered := map[int]mergeInput{}
	partial := false
	for _, in := range ins {
		partial = partial || in.run.Info.Partial
		for _, i := range in.set.idx {
			if prev, ok := covered[i]; ok {
				return nil, fmt.Errorf("%w: shard %d/%d of %s appears twice: in %s and %s", ErrMerge, i, n, in.run.Name(),
					describeShardSource(prev), describeShardSource(in))
			}
			covered[i] = in
		}
	}
	var have, missing []int
	for i := 0; i < n; i++ {
		if _, ok := covered[i]; ok {
			have = append(have, i)
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		if !opts.AllowPartial {
			return nil, fmt.Errorf("%w: %w: %s: shard %s missing (have %s); merge all %d shards, or pass --allow-partial",
				ErrMerge, ErrPartial, ins[0].run.Name(), shardList(missing, n), shardList(have, n), n)
		}
		partial = true
	}
	runs := make([]*Run, len(ins))
	for i, in := range ins {
		runs[i] = in.run
	}
	info := runs[0].Info
	for _, r := range runs {
		in := r.Info
		if in.Started.Before(info.Started) {
			info.Started = in.Started
		}
		if in.Duration > info.Duration {
			info.Duration = in.Duration
		}
		if in.TimerOverhead > info.TimerOverhead {
			info.TimerOverhead = in.TimerOverhead
		}
		info.Limits = unionLimits(info.Limits, in.Limits)
		for k, v := range in.CodeNames {
			if info.CodeNames == nil {
				info.CodeNames = map[int32]string{}
			}
			info.CodeNames[k] = v
		}
	}
	info.Shard = mergedShardString(have, n)
	info.Partial = partial
	return mergeGroups(info, runs), nil
}

// describeShardSource names a shard's input for messages: "a.json" or
// "m.json (merged 0/2,1/2)".
func describeShardSource(in mergeInput) string {
	if in.set.merged {
		return fmt.Sprintf("%s (%s)", in.src, in.run.Info.Shard)
	}
	return in.src
}

func mergeGroups(info RunInfo, runs []*Run) *Run {
	byLabels := map[Labels]*Group{}
	for _, r := range runs {
		for _, g := range r.Groups {
			m := byLabels[g.Labels]
			if m == nil {
				m = newGroup(g.Labels)
				byLabels[g.Labels] = m
			}
			m.merge(g)
		}
	}
	out := &Run{Info: info}
	for _, g := range byLabels {
		out.Groups = append(out.Groups, g)
	}
	sortGroups(out.Groups)
	return out
}

func unionLimits(a, b []LimitConfig) []LimitConfig {
	out := append([]LimitConfig(nil), a...)
	for _, l := range b {
		found := false
		for _, m := range out {
			if m.Name == l.Name {
				found = true
			}
		}
		if !found {
			out = append(out, l)
		}
	}
	return out
}

// pooled merges repeated runs of one backend for display: histograms and
// counters are summed and the durations (the run's and each scenario's
// active time) are the totals, so rates are averages over all repeats.
// The time series is the first run's.
func pooled(runs []*Run) *Run {
	if len(runs) == 1 {
		return runs[0]
	}
	info := runs[0].Info
	for _, r := range runs[1:] {
		info.Duration += r.Info.Duration
	}
	out := mergeGroups(info, runs)
	poolActivity(out, runs)
	first := mergeGroups(info, runs[:1])
	for i, g := range out.Groups {
		for _, f := range first.Groups {
			if f.Labels == g.Labels {
				out.Groups[i].Series = f.Series
			}
		}
	}
	return out
}

// backendRuns groups runs by backend, in order of first appearance. When
// the report holds runs of several workload files (reports concatenated with
// "sparkbench report a.json b.json"), the label is "workload/backend" so that
// different workloads are never pooled together.
func backendRuns(rep *Report) (names []string, runs map[string][]*Run) {
	return groupRunsBy(rep, true)
}

func groupRunsBy(rep *Report, qualify bool) (names []string, runs map[string][]*Run) {
	files := map[string]bool{}
	for _, r := range rep.Runs {
		files[r.Info.Workload+"\x00"+r.Info.FileSHA256] = true
	}
	runs = map[string][]*Run{}
	for _, r := range rep.Runs {
		b := r.Info.Backend
		if qualify && len(files) > 1 {
			b = r.Info.Workload + "/" + b
			if r.Info.Workload == "" {
				b = fmt.Sprintf("%.8s/%s", r.Info.FileSHA256, r.Info.Backend)
			}
		}
		// The two sides of an A/B result are never pooled together.
		if qualify && r.Info.AB != nil {
			b += " (" + r.Info.AB.Side + ")"
		}
		if _, ok := runs[b]; !ok {
			names = append(names, b)
		}
		runs[b] = append(runs[b], r)
	}
	return names, runs
}
