// Package gen holds the seeded generators behind workload variables: integer
// and key distributions (constant, uniform, zipfian after YCSB, latest,
// hotspot, sequential, normal, exponential), size distributions and duration
// distributions. A spec is a plain description (copy it freely); Prepare
// computes once what the generators of a run share (a zipfian's
// constants), and each worker builds its own generator from the prepared
// source with its own RNG, so nothing is locked per request.
package gen
