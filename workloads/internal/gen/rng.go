package gen

import (
	"hash/fnv"
	"math/rand/v2"
)

// splitmix64 is the finaliser of SplitMix64; it spreads seeds well.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// NewRand returns the RNG of one worker, derived from the workload seed,
// a stream name (scenario, preload ...) and the worker index, so that the
// same seed always gives each worker the same sequence.
func NewRand(seed int64, stream string, worker int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(stream))
	s1 := splitmix64(uint64(seed) ^ h.Sum64())
	s2 := splitmix64(s1 ^ uint64(worker)*0x9e3779b97f4a7c15 ^ 0x5851f42d4c957f2d)
	return rand.New(rand.NewPCG(s1, s2))
}

// fnv64 is FNV-1a over the 8 bytes of v (YCSB's scrambling hash).
func fnv64(v uint64) uint64 {
	const offset, prime = 0xcbf29ce484222325, 0x100000001b3
	h := uint64(offset)
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= prime
		v >>= 8
	}
	return h
}
