package plasma

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Status codes returned by Set and Delete, as the SDKs decode them.
const (
	OK           int32 = 0
	NotAvailable int32 = 1
	WriteLimit   int32 = 2
	TooLarge     int32 = 3
	BadKey       int32 = 4
	NoCapability int32 = 5
	Internal     int32 = 6
)

// Limits on what the store accepts.
const (
	MaxKeyBytes   = 256
	MaxValueBytes = 64 << 10
	// DefaultCapacity is the capacity of New(0): what all keys and values
	// together may take.
	DefaultCapacity = 64 << 20
)

const numShards = 32

// Store is an in-memory key/value store with counters, sharded so that
// concurrent workers rarely contend. Its keys and values together take at
// most its capacity: a guest cannot make the host allocate without bound
// (a write past it answers WriteLimit).
type Store struct {
	seed     maphash.Seed
	capacity int64
	used     atomic.Int64 // bytes of keys and values
	shards   [numShards]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// New returns an empty Store of the given capacity in bytes of keys and
// values (0 or less: DefaultCapacity).
func New(capacity int64) *Store {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	s := &Store{seed: maphash.MakeSeed(), capacity: capacity}
	for i := range s.shards {
		s.shards[i].m = make(map[string][]byte)
	}
	return s
}

func (s *Store) shard(key []byte) *shard {
	return &s.shards[maphash.Bytes(s.seed, key)%numShards]
}

// ValidKey reports whether key is acceptable: 1..MaxKeyBytes bytes of
// UTF-8 without control characters, so that List's JSON needs no escapes
// beyond \" and \\ (the SDKs' small JSON readers handle only those).
func ValidKey(key []byte) bool {
	if len(key) == 0 || len(key) > MaxKeyBytes || !utf8.Valid(key) {
		return false
	}
	for _, c := range key {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// Get returns a copy of the value under key.
func (s *Store) Get(key []byte) ([]byte, bool) {
	if !ValidKey(key) {
		return nil, false
	}
	sh := s.shard(key)
	sh.mu.RLock()
	v, ok := sh.m[string(key)]
	if ok {
		// Clone under the lock: Add updates counters in place.
		v = append(make([]byte, 0, len(v)), v...)
	}
	sh.mu.RUnlock()
	return v, ok
}

// Set stores a copy of value under key and returns the ABI status code:
// OK, BadKey, TooLarge, or WriteLimit when the store is at its capacity.
func (s *Store) Set(key, value []byte) int32 {
	if !ValidKey(key) {
		return BadKey
	}
	if len(value) > MaxValueBytes {
		return TooLarge
	}
	v := make([]byte, len(value))
	copy(v, value)
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, exists := sh.m[string(key)]
	grow := int64(len(value) - len(old))
	if !exists {
		grow = int64(len(key) + len(value))
	}
	if !s.take(grow) {
		return WriteLimit
	}
	sh.m[string(key)] = v
	return OK
}

// take accounts for n more bytes (n < 0 gives back), false if that would
// pass the capacity.
func (s *Store) take(n int64) bool {
	if n <= 0 {
		s.used.Add(n)
		return true
	}
	for {
		u := s.used.Load()
		if u+n > s.capacity {
			return false
		}
		if s.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Used returns the bytes the keys and values take.
func (s *Store) Used() int64 { return s.used.Load() }

// Delete removes key and returns the ABI status code: OK (also when the
// key is absent) or BadKey.
func (s *Store) Delete(key []byte) int32 {
	if !ValidKey(key) {
		return BadKey
	}
	sh := s.shard(key)
	sh.mu.Lock()
	if old, ok := sh.m[string(key)]; ok {
		delete(sh.m, string(key))
		s.take(-int64(len(key) + len(old)))
	}
	sh.mu.Unlock()
	return OK
}

// Add adds delta to the counter under key, atomically, and returns the new
// value; ok is false for an invalid key, or a new key when the store is at
// its capacity (the host then answers 0, "no result"). Arithmetic wraps
// like int64.
func (s *Store) Add(key []byte, delta int64) (int64, bool) {
	if !ValidKey(key) {
		return 0, false
	}
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cur, exists := sh.m[string(key)]
	n := CounterValue(cur) + delta
	if len(cur) == 8 {
		binary.LittleEndian.PutUint64(cur, uint64(n)) // owned by the store: update in place
		return n, true
	}
	grow := int64(8 - len(cur))
	if !exists {
		grow = int64(len(key) + 8)
	}
	if !s.take(grow) {
		return 0, false
	}
	sh.m[string(key)] = EncodeCounter(n)
	return n, true
}

// Increment adds delta to the counter under key and returns the new value
// (0 for an invalid key).
func (s *Store) Increment(key []byte, delta int64) int64 {
	n, _ := s.Add(key, delta)
	return n
}

// Decrement subtracts delta from the counter under key and returns the new
// value (0 for an invalid key).
func (s *Store) Decrement(key []byte, delta int64) int64 {
	n, _ := s.Add(key, -delta)
	return n
}

// EncodeCounter returns n as the 8 little-endian bytes the guest reads.
func EncodeCounter(n int64) []byte {
	return binary.LittleEndian.AppendUint64(make([]byte, 0, 8), uint64(n))
}

// CounterValue reads a stored value as a counter: 8 bytes little endian,
// else decimal text, else 0.
func CounterValue(v []byte) int64 {
	if len(v) == 8 {
		return int64(binary.LittleEndian.Uint64(v))
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Keys returns the keys, sorted.
func (s *Store) Keys() []string {
	var keys []string
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for k := range sh.m {
			keys = append(keys, k)
		}
		sh.mu.RUnlock()
	}
	slices.Sort(keys)
	return keys
}

// Len returns the number of keys.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// List returns the keys, sorted, as a JSON array of strings.
func (s *Store) List() []byte {
	keys := s.Keys()
	out := []byte{'['}
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, k)
	}
	return append(out, ']')
}

// appendJSONString quotes a valid key (no control characters), escaping
// only '"' and '\\'.
func appendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			out = append(out, '\\', c)
		} else {
			out = append(out, c)
		}
	}
	return append(out, '"')
}
