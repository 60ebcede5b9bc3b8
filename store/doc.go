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
// sync; reported as not durable). For bbolt, group commit is the store's own
// leader/follower committer (no batching delay); for pebble it is pebble's
// commit pipeline, which groups concurrent syncs itself.
//
// On disk, a key is uvarint(len(site)) || site || key, so no two (site, key)
// pairs collide, and a value carries its absolute expiry and a checksum.
// Open rebuilds the index from disk, dropping (and deleting) expired
// entries. Expired entries are invisible to reads at once and are reclaimed
// by the background sweeper, by a Set that would otherwise be refused for
// quota, and on reopen.
//
// A backend failure makes a write return Internal and changes nothing in
// memory; the store keeps serving reads, and writes again once the backend
// recovers (pebble, which treats WAL errors as fatal, is reopened in the
// background).
//
// Key rules, TTL, value size and the per-site quota are enforced here (see
// ValidKey and Site.Set); per-invocation limits and capabilities belong to
// the host.
package store
