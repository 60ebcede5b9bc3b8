package workloads

import "github.com/sparkbench/sparkbench/workloads/internal/gen"

// IntDist is an integer or key distribution (constant, uniform, zipfian,
// latest, hotspot, sequential, normal, exponential).
type IntDist = gen.IntSpec

// SizeDist is a distribution of sizes in bytes (constant, uniform, normal).
type SizeDist = gen.Scalar

// DurationDist is a distribution of durations in nanoseconds (constant,
// uniform, normal, exponential).
type DurationDist = gen.Scalar

var (
	sizeKinds     = []string{gen.Constant, gen.Uniform, gen.Normal}
	durationKinds = gen.ScalarKinds
)
