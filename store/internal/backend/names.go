package backend

// The backends' names (store.Backend's values): Open's name argument.
const (
	Memory = "memory"
	Bbolt  = "bbolt"
	Pebble = "pebble"
)
