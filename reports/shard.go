package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// shardSet is the part of a sharded workload a run covers, read from
// RunInfo.Shard: "" (not sharded), "i/N" (one shard, run --shard i/N) or
// "merged i/N,j/N,..." (shards combined by merge).
type shardSet struct {
	n      int   // shard count; 0 when not sharded
	idx    []int // covered shard indices, sorted
	merged bool
}

// maxShards bounds N in "i/N": more shards than runs a merge can take
// could never be merged whole.
const maxShards = MaxRuns

func parseShardSet(s string) (shardSet, error) {
	if s == "" {
		return shardSet{}, nil
	}
	var set shardSet
	list, merged := strings.CutPrefix(s, "merged ")
	set.merged = merged
	parts := strings.Split(list, ",")
	if !merged && len(parts) != 1 {
		return shardSet{}, fmt.Errorf("shard %q: want i/N or merged i/N,j/N,...", s)
	}
	seen := map[int]bool{}
	for _, p := range parts {
		a, b, ok := strings.Cut(p, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 2 || n > maxShards || i < 0 || i >= n {
			return shardSet{}, fmt.Errorf("shard %q: want i/N with 0 <= i < N, 2 <= N <= %d", s, maxShards)
		}
		if set.n != 0 && n != set.n {
			return shardSet{}, fmt.Errorf("shard %q: shards of different splits", s)
		}
		if seen[i] {
			return shardSet{}, fmt.Errorf("shard %q: shard %d/%d listed twice", s, i, n)
		}
		seen[i] = true
		set.n = n
		set.idx = append(set.idx, i)
	}
	sort.Ints(set.idx)
	return set, nil
}

// complete reports whether the set covers all N shards (or is not sharded).
func (s shardSet) complete() bool { return len(s.idx) == s.n }

// shardList formats indices of an N-way split as "0/4, 2/4".
func shardList(idx []int, n int) string {
	var b strings.Builder
	for k, i := range idx {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d/%d", i, n)
	}
	return b.String()
}

// mergedShardString is RunInfo.Shard of a merge covering idx of n shards.
func mergedShardString(idx []int, n int) string {
	parts := make([]string, len(idx))
	for k, i := range idx {
		parts[k] = fmt.Sprintf("%d/%d", i, n)
	}
	return "merged " + strings.Join(parts, ",")
}
