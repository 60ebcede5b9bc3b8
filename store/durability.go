package store

import "fmt"

// Durability says when a write is acknowledged relative to its fsync.
type Durability uint8

const (
	// DurabilityGroup batches concurrent writers so that one sync covers
	// many; each write returns once the batch holding it is durable. A lone
	// writer is not delayed. The default for disk backends.
	DurabilityGroup Durability = iota
	// DurabilityAlways syncs every write on its own.
	DurabilityAlways
	// DurabilityNone never syncs: a crash may lose acknowledged writes.
	// Stats reports such a store as not durable.
	DurabilityNone
)

// String returns "group", "always" or "none".
func (d Durability) String() string {
	switch d {
	case DurabilityGroup:
		return "group"
	case DurabilityAlways:
		return "always"
	case DurabilityNone:
		return "none"
	}
	return fmt.Sprintf("durability(%d)", uint8(d))
}

// ParseDurability parses "group", "always" or "none".
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "group":
		return DurabilityGroup, nil
	case "always":
		return DurabilityAlways, nil
	case "none":
		return DurabilityNone, nil
	}
	return 0, fmt.Errorf("store: durability %q: %w", s, ErrUnknownDurability)
}
