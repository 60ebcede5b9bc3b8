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
// sync; reported as not durable). For pebble, group commit is pebble's
// commit pipeline, which groups concurrent syncs itself. bbolt always is
// one synced bbolt transaction per write; bbolt none is the store's
// leader/follower committer batching unsynced transactions.
//
// bbolt group writes through a write-ahead log. The store's group
// committer (no batching delay: a lone writer commits at once) hands each
// group of concurrent writes to the backend as one batch, which appends it
// as one record to the current WAL segment with one write and one
// fdatasync (sequential I/O, where a bbolt commit of the same batch
// dirties one scattered page per key) and then records it in an in-memory
// pending set; the Set returns once that sync has returned. A background
// checkpointer folds the pending set into bbolt: it takes the set and
// rotates to a new segment (foreground appends go on at once; they never
// need bbolt's single writer lock), writes the set deduplicated and in key
// order in one bbolt transaction committed with bbolt's own fsync, records
// in that transaction the number of the last segment it covers, and only
// then deletes the covered segments. A checkpoint starts when the WAL
// reaches Options.CheckpointBytes (default 1 MiB) or
// Options.CheckpointInterval (default 10s) after the last one; memory for
// pending mutations is bounded at max(8*CheckpointBytes, 64 MiB), beyond
// which writes wait for the running checkpoint (and fail with Internal
// while checkpoints fail). Close runs a final checkpoint.
//
// Files of a bbolt store: spark.db (the B+tree: bucket "spark" holds the
// records, bucket "spark-meta" the number of the last checkpointed WAL
// segment), wal-<20-digit number>.log segments, and wal-spare.tmp: a
// zero-filled, synced file of 2*CheckpointBytes (at most 4 MiB) that the
// checkpointer prepares and the next segment is renamed from, so that
// appends overwrite allocated blocks and each fdatasync flushes data only
// (no file size change, no journal commit); the zeros after the last record
// read as the end of the segment. A segment is a sequence
// of records, one per batch: u32 payload length, u32 CRC-32C (Castagnoli)
// of the payload, then the payload (uvarint count, then per mutation: op 1
// put or 2 delete, uvarint key length, key, and for a put uvarint value
// length and value), little-endian. Opening a bbolt store (in any mode)
// replays the segments numbered above the checkpoint, in order and each up
// to its first short, zero-length or bad-CRC record (a torn tail: never
// acknowledged), into bbolt in one synced transaction, deletes every
// segment up to the last one (segments at or below the checkpoint, left by
// a crash between a checkpoint's commit and its deletions, are deleted
// unread) and starts a fresh segment; nothing is ever appended after a
// torn tail. The index is then reloaded from bbolt as before.
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
// background). For bbolt group, a failed WAL write or sync fails the whole
// group's batch (each write is then retried alone, as with any failed group
// commit); the partial record is truncated away and the segment abandoned,
// so the next write starts a new segment. A failed checkpoint keeps the
// pending set and the segments and is retried with a backoff; writes keep
// succeeding meanwhile (up to the memory bound). If the final checkpoint
// at Close fails, Close returns the error and the next Open replays the
// WAL.
//
// Key rules, TTL, value size and the per-site quota are enforced here (see
// ValidKey and Site.Set); per-invocation limits and capabilities belong to
// the host.
package store
