package reports

import (
	"fmt"
	"sort"
	"strings"
)

// MergeShards combines the runs of shards that ran the same workload at the
// same time on several machines (run --shard i/N) into one run, exactly:
// histograms are added bucket by bucket, counters summed, time series aligned
// by second (second 0 of each shard is its own measured-phase start), quota
// fill per second is the largest any shard saw. The merged run starts at the
// earliest shard start and lasts as long as the longest shard; its Shard is
// "" and its limits are the union of the shards'. Runs must share workload
// file hash and backend.
func MergeShards(runs []*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w: no runs", ErrMerge)
	}
	first := runs[0].Info
	info := first
	info.Shard = ""
	var shards []string
	for _, r := range runs {
		in := r.Info
		if in.FileSHA256 != first.FileSHA256 || in.Backend != first.Backend || in.Repeat != first.Repeat {
			return nil, fmt.Errorf("%w: run %q (workload %.12s, backend %s, repeat %d) does not match %q (workload %.12s, backend %s, repeat %d)",
				ErrMerge, r.Name(), in.FileSHA256, in.Backend, in.Repeat, runs[0].Name(), first.FileSHA256, first.Backend, first.Repeat)
		}
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
		if in.Shard != "" {
			shards = append(shards, in.Shard)
		}
	}
	if len(shards) > 0 {
		seen := map[string]bool{}
		for _, s := range shards {
			if seen[s] {
				return nil, fmt.Errorf("%w: shard %s appears twice", ErrMerge, s)
			}
			seen[s] = true
		}
		sort.Strings(shards)
		info.Shard = "merged " + strings.Join(shards, ",")
	}
	return mergeGroups(info, runs), nil
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

// MergeReports combines shard reports: runs with the same backend and repeat
// are merged with MergeShards. The environment is the first report's.
func MergeReports(reps []*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	type key struct {
		backend string
		repeat  int
	}
	var order []key
	byKey := map[key][]*Run{}
	for _, rep := range reps {
		for _, r := range rep.Runs {
			k := key{r.Info.Backend, r.Info.Repeat}
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], r)
		}
	}
	out := &Report{Schema: SchemaVersion, Env: reps[0].Env}
	for _, k := range order {
		m, err := MergeShards(byKey[k])
		if err != nil {
			return nil, err
		}
		out.Runs = append(out.Runs, m)
	}
	return out, nil
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
		if _, ok := runs[b]; !ok {
			names = append(names, b)
		}
		runs[b] = append(runs[b], r)
	}
	return names, runs
}
