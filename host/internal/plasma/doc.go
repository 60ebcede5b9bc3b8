// Package plasma is the in-memory stand-in for the platform's cross-edge
// Plasma store: one Store is shared by all nodes of a run and is safe for
// concurrent use.
//
// Status codes are Plasma's own (they differ from Spark's): 0 ok,
// 1 not available, 2 write limit, 3 too large, 4 bad key, 5 no capability,
// 6 internal, as the C, Zig and AssemblyScript SDKs map them.
//
// Counters: plasma_increment and plasma_decrement answer the new value as
// 8 little-endian bytes (every SDK reads it so), and the store keeps a
// counter in that same form, so plasma_get of a counter key returns what the
// last increment returned. Incrementing a value that is not 8 bytes starts
// from its decimal text if it is one, else from 0.
package plasma
