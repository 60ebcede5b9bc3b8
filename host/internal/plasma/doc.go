// Package plasma is the in-memory stand-in for the platform's cross-edge
// Plasma store: one Store is shared by all nodes of a run and is safe for
// concurrent use.
package plasma
