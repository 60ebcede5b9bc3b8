// Package gen holds the seeded generators behind workload variables: integer
// and key distributions (constant, uniform, zipfian after YCSB, latest,
// hotspot, sequential, normal, exponential), size distributions and duration
// distributions. A spec is immutable and shared; each worker builds its own
// generator from it with its own RNG, so nothing is locked per request.
package gen
