// Package beam is the synthetic origin behind beam_fetch: it answers every
// fetch with a deterministic body for the URL, a configurable status, body
// size and latency, in the JSON shape the flare SDKs parse.
//
// The answer is {"status":N,"headers":{...},"body":"..."}, fields in that
// order, body a JSON string. The SDKs read it with small hand-written
// scanners (AssemblyScript readObjectStringField, Zig findJsonString) that
// take the first occurrence of a quoted field name and understand only the
// escapes \" \\ \n \r \t \/, so the origin never emits \uXXXX escapes in the
// body, and no header is named "status" or "body". The body is drawn from
// [A-Za-z0-9] and needs no escaping at all.
package beam
