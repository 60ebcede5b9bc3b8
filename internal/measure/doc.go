// Package measure is the vocabulary sparkbench records in: the operations
// it times (Op) and how each one ended (outcome codes). The store names its
// status codes, the host its operations and invocation error kinds, and the
// reports their histograms, result files and threshold keys from here, so
// that all of them agree without a table that maps one onto another.
package measure
