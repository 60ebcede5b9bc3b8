// Package store implements Spark, the per-site key/value store with TTL that
// flares reach through the flaron/v1 host ABI, over a durable backend.
//
// A node-level Store serves many sites. Each Site keeps an in-memory index of
// its live entries (value bytes plus absolute expiry) under its own lock, so
// sites never contend and reads never touch the disk. Writes are made durable
// in the backend first and applied to the index after, so an acknowledged
// write survives a crash.
//
// Writes of one key do not wait for each other: each goes to the backend at
// once and gets a commit sequence that grows with the order writes reach the
// disk (pebble's sequence number; otherwise one the store's commit path
// assigns: the group committer in queue order, DurabilityAlways in the order
// of its FIFO slot). A completed write changes the index only if its
// sequence is above the last one applied to the key, so the index holds what
// the disk holds; while a key has writes in progress the site's quota holds
// room for the largest of them, so no order of completion overshoots the
// quota. (Writes of a key used to wait for each other's whole durable write:
// on zipfian keys that convoy made the p99 of durable writes several times
// the backend's own, BenchmarkDurableTail.)
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
// Files of a bbolt store: SPARKSTORE (the marker, see Damage), spark.db
// (the B+tree: bucket "spark" holds the records, bucket "spark-meta" the
// number of the last checkpointed WAL segment), wal-<20-digit
// number>.log segments, and wal-spare.tmp: a
// zero-filled, synced file of 2*CheckpointBytes (at most 4 MiB) that the
// checkpointer prepares and the next segment is renamed from, so that
// appends overwrite allocated blocks and each fdatasync flushes data only
// (no file size change, no journal commit); the zeros after the last record
// read as the end of the segment. A segment is a sequence
// of records, one per batch: u32 payload length, u32 CRC-32C (Castagnoli)
// of the payload, then the payload (uvarint count, then per mutation: op 1
// put or 2 delete, uvarint key length, key, and for a put uvarint value
// length and value), little-endian. Opening a bbolt store (in any mode)
// replays the segments numbered above the checkpoint, in order, into bbolt
// in one synced transaction, deletes every segment up to the last one
// (segments at or below the checkpoint, left by a crash between a
// checkpoint's commit and its deletions, are deleted unread) and starts a
// fresh segment. An append starts only after the previous one's sync
// returned, and nothing is ever appended after a failed write, so a bad
// record (short, zero length, bad CRC, malformed) that no intact record
// follows is a torn tail: a write the crash interrupted, never
// acknowledged, dropped silently (counted in Stats().Recovery.TornTails;
// zeros after the last record are the unused rest of a pre-zeroed segment,
// not a tear). A bad record that intact records follow is damage in
// acknowledged data (see Damage below). A damaged last record cannot be
// told from a torn one and is dropped as torn.
//
// Damage. A directory that holds a store has a marker file, SPARKSTORE
// (MarkerName), naming its backend, written once the backend's files
// exist; opening it with another backend fails with ErrWrongBackend. Open
// checks what it reads: WAL segments as above; spark.db before bbolt sees
// it (bbolt panics, or faults on its memory map, on a damaged file), by
// walking its meta pages and B+tree with pread and checking the file size
// against the high-water mark, page ids, page types, element bounds, key
// order, that no page is reached twice and that the top level holds only
// the store's two buckets; a spark.db that is missing or empty where the
// marker (or WAL segments) says a store existed; pebble's own checks
// (block checksums, MANIFEST; pebble writes WAL chunks that record the
// synced offset, FormatWALSyncChunks, so it tells damage inside a WAL from
// a torn tail); pebble's MANIFEST, which pebble reads up to its first bad
// record and silently drops the edits (and tables) after it, for damage
// that intact records follow; for pebble, the marker also records at each
// clean Close the MANIFEST's size and checksum and each WAL's size, and
// Open reports a MANIFEST that no longer starts with those bytes or a WAL
// that shrank (pebble would read the cut as a torn tail); and every
// value's checksum while rebuilding the index.
// Damage fails Open with an error wrapping ErrCorrupt and a *CorruptError
// naming the file (pebble: the damaged table, else the directory) and what
// is wrong, and nothing on disk is changed. With Options.Recover, Open goes
// on: WAL damage is skipped (every intact record, before and after it, is
// replayed; a damaged record whose payload still parses counts its writes
// as dropped); a damaged spark.db has its intact records copied, in key
// order, into a new spark.db (a damaged leaf page drops its entries,
// counted; a damaged branch page loses the subtree below it, whose size
// is unknown); a damaged pebble store is opened read-only and its readable
// keys copied into a new one (a damaged table loses its key range; a
// damaged WAL the records from the damage on; a store pebble cannot open
// at all, a damaged MANIFEST, keeps nothing); values that fail their
// checksum are dropped and deleted. Damaged files are never deleted: they
// are moved (or, for WAL segments and spark.db, hard-linked before the
// original is replaced) into Dir/damaged-<UTC time>/. Stats().Recovery
// lists the damage, where the files went, and what was salvaged and
// dropped; records whose number cannot be known are counted in
// UnknownLoss. Not detected: damage the formats cannot reveal. A log (a
// WAL segment, pebble's WAL or MANIFEST) cut at a record boundary, or
// damaged in its last record, written since the last clean close reads as
// a torn write; a damaged newest bbolt meta page makes bbolt use the
// previous transaction's; the value checksum covers value and expiry, not
// the key, so a key byte flipped into another valid key in order would go
// unseen (the random-damage tests found none).
//
// Disk faults. A write or background operation that fails with ENOSPC or
// EDQUOT (disk full) or EIO is wrapped in a *FaultError (Kind ErrDiskFull
// or ErrIO, the operation and the file, or the directory where the backend
// cannot tell the file, as for pebble's WAL). Set still answers Internal
// (the wire code); the Observer receives the wrapped error of each failed
// write, and Stats counts failed writes (WriteErrors) and disk faults
// (DiskFullErrors, IOErrors, LastFault), including failed checkpoints and
// pebble flushes and compactions. A WAL segment that a failed append
// leaves without an acknowledged record is removed. Pebble retries a
// failed flush or compaction at once and forever: each failure in a row
// waits longer (10ms doubling to 1s). A failure pebble treats as fatal
// outside the store's own calls (a MANIFEST write of a background flush)
// takes the DB out of service like a failed WAL write, instead of ending
// the process.
//
// Opening is bounded and interruptible (OpenContext): each step checks the
// context (the spark.db check, WAL replay, salvage, the index rebuild every
// 4096 records), and the opens of bbolt and pebble, which cannot be
// interrupted, run in their own goroutine: on cancellation Open returns at
// once and the abandoned open is closed when it ends (a later open of the
// same pebble directory in the process waits for that). On a full disk,
// pebble's open (which flushes the WAL it replays) fails at its first
// failed flush with ErrDiskFull instead of retrying forever.
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
// Bulk loads (Site.NewLoader, for preloads) write entries in large
// batches: each batch is sorted by key, checked against the site's quota
// under one lock, written in one backend transaction (bbolt: straight into
// the B+tree with nodes filled to 90%, after checkpointing whatever the
// WAL holds so that no older logged write of the same keys is folded or
// replayed over them; pebble: one synced batch) and then put in the index
// directly. Every entry meets Set's rules; refusals are counted by code. A
// batch is atomic: a load killed half-way leaves the batches whose Flush
// returned and nothing of the others.
//
// Key rules, TTL, value size and the per-site quota are enforced here (see
// ValidKey and Site.Set); per-invocation limits and capabilities belong to
// the host.
package store
