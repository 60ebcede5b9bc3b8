// Package edgeops implements the flaron/v1 "edge ops" in pure Go: hashes,
// HMAC, JWT signing, AES-GCM, random bytes, base64/hex/url encodings, and
// UUID, ULID, NanoID, KSUID and Snowflake identifiers and timestamps.
//
// It knows nothing of wasm: each op takes the bytes (or integer) the guest
// passed and returns the bytes the host writes back into guest memory.
// ok=false means "no result" (the host returns 0 to the guest); malformed
// input never panics.
package edgeops
