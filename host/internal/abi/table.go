package abi

import "github.com/tetratelabs/wazero/api"

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
	f64 = api.ValueTypeF64
)

func types(t ...api.ValueType) []api.ValueType { return t }

func flaron(name string, group string, params, results []api.ValueType) Func {
	return Func{Module: ModuleFlaronV1, Name: name, Params: params, Results: results, Group: group}
}

// FlaronV1 lists every flaron/v1 import, signatures as the public SDKs
// declare them. The C (include/flare/env.h), Zig (src/env/wasm.zig) and
// AssemblyScript (assembly/env.ts) SDKs declare the same 48 functions with
// identical signatures; the Rust SDK's spark functions (seed spark.rs)
// match too. No SDK disagreement was found, so the host need accept only
// these signatures.
//
// Conventions (every SDK): arguments are (ptr, len) pairs into guest memory
// (ptr may be 0 when len is 0: the C SDK passes (0,0) for empty data and
// for absent beam options); an i64 result is (ptr<<32)|len of bytes the host
// wrote into memory it got from the guest's alloc(len), 0 meaning "no
// result"; an i32 result of a write-style function is a status code.
var FlaronV1 = []Func{
	// req_method() -> packed method, e.g. "GET".
	flaron("req_method", GroupRequest, nil, types(i64)),
	// req_url() -> packed full request URL.
	flaron("req_url", GroupRequest, nil, types(i64)),
	// req_header_get(name) -> packed value of the named request header, 0 if absent.
	flaron("req_header_get", GroupRequest, types(i32, i32), types(i64)),
	// req_body() -> packed request body, 0 if empty.
	flaron("req_body", GroupRequest, nil, types(i64)),

	// resp_set_status(status).
	flaron("resp_set_status", GroupResponse, types(i32), nil),
	// resp_header_set(name, value): sets (replaces) a response header.
	flaron("resp_header_set", GroupResponse, types(i32, i32, i32, i32), nil),
	// resp_body_set(body): sets the response body.
	flaron("resp_body_set", GroupResponse, types(i32, i32), nil),

	// spark_get(key) -> packed u32 LE remaining TTL || value; 0 on miss,
	// read limit, bad key or Spark disabled.
	flaron("spark_get", GroupSpark, types(i32, i32), types(i64)),
	// spark_set(key, value, ttl_secs i32) -> code (0 ok, 1..9: the Spark
	// status codes of docs/ARCHITECTURE.md).
	flaron("spark_set", GroupSpark, types(i32, i32, i32, i32, i32), types(i32)),
	// spark_delete(key): no result; failures are silent to the guest.
	flaron("spark_delete", GroupSpark, types(i32, i32), nil),
	// spark_list() -> packed JSON array of the site's live keys; 0 on read
	// limit or Spark disabled.
	flaron("spark_list", GroupSpark, nil, types(i64)),
	// spark_pull(origin_node, keys_json) -> count migrated (>= 0) or -code.
	// keys_json is a JSON array of strings (Rust: serde_json::to_string).
	flaron("spark_pull", GroupSpark, types(i32, i32, i32, i32), types(i32)),

	// plasma_get(key) -> packed value, 0 if absent.
	flaron("plasma_get", GroupPlasma, types(i32, i32), types(i64)),
	// plasma_set(key, value) -> Plasma code: 0 ok, 1 not available, 2 write
	// limit, 3 too large, 4 bad key, 5 no capability, 6 internal.
	flaron("plasma_set", GroupPlasma, types(i32, i32, i32, i32), types(i32)),
	// plasma_delete(key) -> Plasma code.
	flaron("plasma_delete", GroupPlasma, types(i32, i32), types(i32)),
	// plasma_increment(key, delta i64) -> packed 8 bytes: the new value as
	// i64 little endian (C, Zig and AS read len >= 8 bytes); 0 on error.
	flaron("plasma_increment", GroupPlasma, types(i32, i32, i64), types(i64)),
	// plasma_decrement(key, delta i64) -> packed 8-byte LE new value, as increment.
	flaron("plasma_decrement", GroupPlasma, types(i32, i32, i64), types(i64)),
	// plasma_list() -> packed JSON array of keys.
	flaron("plasma_list", GroupPlasma, nil, types(i64)),

	// beam_fetch(url, opts_json) -> packed JSON
	// {"status":200,"headers":{"name":"value"},"body":"..."} (body is a
	// string; the SDKs scan for the first "status", "headers" and "body"
	// and know only the escapes \" \\ \n \r \t \/); 0 on fetch failure.
	// opts_json: {"method":"GET","headers":{"name":"value"},"body":"..."},
	// every field optional; "{}" (AS, Zig) or absent, (0,0) (C), = GET.
	flaron("beam_fetch", GroupBeam, types(i32, i32, i32, i32), types(i64)),

	// log_info(msg), log_warn(msg), log_error(msg).
	flaron("log_info", GroupLog, types(i32, i32), nil),
	flaron("log_warn", GroupLog, types(i32, i32), nil),
	flaron("log_error", GroupLog, types(i32, i32), nil),

	// crypto_hash({"algorithm":"sha256","input":"..."}) -> packed hex digest.
	// Algorithms sent: sha1, sha256, sha384, sha512, md5 (AS); Zig's docs
	// also name blake2b, blake3.
	flaron("crypto_hash", GroupEdgeOps, types(i32, i32), types(i64)),
	// crypto_hmac({"secret_key":"NAME","input":"..."}) -> packed hex HMAC
	// (SHA-256). secret_key is the NAME of a site secret, not key material.
	flaron("crypto_hmac", GroupEdgeOps, types(i32, i32), types(i64)),
	// crypto_sign_jwt({"algorithm":"HS256","secret_key":"NAME","claims":{...}})
	// -> packed compact JWT. C and AS send claims as a flat string map, Zig
	// as any JSON object; algorithms HS256/HS384/HS512 (AS), Zig's docs add
	// RS256 and EdDSA.
	flaron("crypto_sign_jwt", GroupEdgeOps, types(i32, i32), types(i64)),
	// crypto_encrypt_aes({"secret_key":"NAME","input":"plaintext"}) ->
	// packed base64 ciphertext (AES-GCM).
	flaron("crypto_encrypt_aes", GroupEdgeOps, types(i32, i32), types(i64)),
	// crypto_decrypt_aes({"secret_key":"NAME","input":"base64 ciphertext"})
	// -> packed plaintext bytes.
	flaron("crypto_decrypt_aes", GroupEdgeOps, types(i32, i32), types(i64)),
	// crypto_random_bytes(n i32) -> packed hex of n random bytes (AS: 1..256).
	flaron("crypto_random_bytes", GroupEdgeOps, types(i32), types(i64)),
	// encoding_*_encode(data) / encoding_*_decode(text) -> packed bytes;
	// raw bytes in, raw bytes out, no JSON envelope.
	flaron("encoding_base64_encode", GroupEdgeOps, types(i32, i32), types(i64)),
	flaron("encoding_base64_decode", GroupEdgeOps, types(i32, i32), types(i64)),
	flaron("encoding_hex_encode", GroupEdgeOps, types(i32, i32), types(i64)),
	flaron("encoding_hex_decode", GroupEdgeOps, types(i32, i32), types(i64)),
	flaron("encoding_url_encode", GroupEdgeOps, types(i32, i32), types(i64)),
	flaron("encoding_url_decode", GroupEdgeOps, types(i32, i32), types(i64)),
	// id_uuid({"version":"v4"|"v7"}) -> packed 36-char UUID.
	flaron("id_uuid", GroupEdgeOps, types(i32, i32), types(i64)),
	// id_ulid() -> packed 26-char ULID.
	flaron("id_ulid", GroupEdgeOps, nil, types(i64)),
	// id_nanoid(length i32; 0 = default 21) -> packed NanoID.
	flaron("id_nanoid", GroupEdgeOps, types(i32), types(i64)),
	// id_ksuid() -> packed 27-char KSUID.
	flaron("id_ksuid", GroupEdgeOps, nil, types(i64)),
	// id_snowflake() -> packed decimal snowflake ID.
	flaron("id_snowflake", GroupEdgeOps, nil, types(i64)),
	// snowflake_id() -> packed decimal snowflake ID (the SDKs document it
	// as identical to id_snowflake; AS's Snowflake.next uses it).
	flaron("snowflake_id", GroupEdgeOps, nil, types(i64)),
	// timestamp({"format":"unix"|"ms"|"ns"|"rfc3339"|"http"|"iso8601"}) ->
	// packed text; numeric formats as decimal strings; unknown -> rfc3339.
	flaron("timestamp", GroupEdgeOps, types(i32, i32), types(i64)),

	// secret_get(name) -> packed secret value, 0 if the site has none.
	flaron("secret_get", GroupSecrets, types(i32, i32), types(i64)),

	// ws_send(data) -> status (0 ok). A host without WebSockets answers as
	// for a closed connection.
	flaron("ws_send", GroupWS, types(i32, i32), types(i32)),
	// ws_close_conn(code).
	flaron("ws_close_conn", GroupWS, types(i32), nil),
	// ws_conn_id() -> packed connection id.
	flaron("ws_conn_id", GroupWS, nil, types(i64)),
	// ws_event_type() -> packed event type ("open", "message", "close").
	flaron("ws_event_type", GroupWS, nil, types(i64)),
	// ws_event_data() -> packed message payload.
	flaron("ws_event_data", GroupWS, nil, types(i64)),
	// ws_close_code() -> close code.
	flaron("ws_close_code", GroupWS, nil, types(i32)),
}

// Runtime lists imports that SDK language runtimes add beside flaron/v1.
// Only AssemblyScript adds any: its compiler imports env.abort whenever the
// module can fail an assertion or throw (always, in practice, unless built
// with --use abort=...), env.trace when trace() is used and env.seed when
// Math.random is used. C (freestanding clang, own memcpy/memset), Zig
// (wasm32-freestanding) and Rust (wasm32-unknown-unknown) import nothing
// else. The host should define these as: abort traps the instance (after
// logging message and position), trace logs, seed returns a random f64.
var Runtime = []Func{
	// abort(msg_ptr, file_ptr, line, column): AS strings are UTF-16 with
	// their byte length in the u32 just before the pointer; 0 = none.
	{Module: ModuleEnv, Name: "abort", Params: types(i32, i32, i32, i32), Group: GroupRuntime},
	// trace(msg_ptr, n, a0..a4 f64): n of the five numbers are meaningful.
	{Module: ModuleEnv, Name: "trace", Params: types(i32, i32, f64, f64, f64, f64, f64), Group: GroupRuntime},
	// seed() -> f64: seeds Math.random.
	{Module: ModuleEnv, Name: "seed", Results: types(f64), Group: GroupRuntime},
}
