// Package store implements Spark, the per-site key/value store with TTL that
// flares reach through the flaron/v1 host ABI, over a durable backend.
//
// A node-level Store serves many sites. Each Site keeps an in-memory index of
// its live entries (value bytes plus absolute expiry) under its own lock, so
// sites never contend and reads never touch the disk. Writes are made durable
// in the backend first and applied to the index after, so an acknowledged
// write survives a crash.
//
// Backends: "memory" (no disk; the baseline), "bbolt" (the default, a B+tree)
// and "pebble" (an LSM). Durability modes: DurabilityGroup (group commit:
// concurrent writers share one sync and each returns once its own write is
// durable), DurabilityAlways (one sync per write) and DurabilityNone (no
// sync; reported as not durable).
//
// Key rules, TTL, value size and the per-site quota are enforced here (see
// ValidKey and Site.Set); per-invocation limits and capabilities belong to
// the host.
package store
