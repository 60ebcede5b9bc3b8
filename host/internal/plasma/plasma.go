package plasma

import "sync"

// Store is an in-memory key/value store with counters.
type Store struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// New returns an empty Store.
func New() *Store { return &Store{m: make(map[string][]byte)} }

// Get returns a copy of the value under key.
func (s *Store) Get(key []byte) ([]byte, bool) { return nil, false }

// Set stores value under key and returns the ABI status code.
func (s *Store) Set(key, value []byte) int32 { return 0 }

// Delete removes key and returns the ABI status code.
func (s *Store) Delete(key []byte) int32 { return 0 }

// Increment adds delta to the counter under key and returns the new value.
func (s *Store) Increment(key []byte, delta int64) int64 { return 0 }

// Decrement subtracts delta from the counter under key and returns the new value.
func (s *Store) Decrement(key []byte, delta int64) int64 { return 0 }

// List returns the keys as a JSON array.
func (s *Store) List() []byte { return []byte("[]") }
