// Package beam is the synthetic origin behind beam_fetch: it answers every
// fetch with a deterministic body for the URL, a configurable status, body
// size and latency, in the JSON shape the flare SDKs parse.
package beam
