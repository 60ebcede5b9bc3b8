/*
 * flaron.h - the minimal guest runtime for sparkbench's reference flares.
 *
 * Freestanding wasm32, no libc. It provides:
 *   - declarations of every flaron/v1 host import (signatures as the public
 *     flare SDKs declare them: C, Zig, AssemblyScript, Rust);
 *   - a bump arena (256 KiB, like the C SDK) that the host fills through the
 *     exported alloc(); it is reset at the start of every invocation;
 *   - the exported handle_request(), which resets the arena and calls the
 *     flare's flare_handle();
 *   - small helpers: packed (ptr<<32)|len results, byte strings, decimal
 *     numbers, FNV-1a, percent-decoding, a byte builder, tiny JSON readers.
 *
 * A flare defines exactly one function:  int64_t flare_handle(void);
 * and returns rt_respond() (or rt_action(...)).
 */
#ifndef SPARKBENCH_FLARON_H
#define SPARKBENCH_FLARON_H

typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
typedef __SIZE_TYPE__ size_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;

#define NULL ((void *)0)

/* ---------------------------------------------------------------------- */
/* flaron/v1 imports                                                       */
/* ---------------------------------------------------------------------- */

#define FLARON_IMPORT(name) \
	__attribute__((import_module("flaron/v1"), import_name(#name)))

/* request */
FLARON_IMPORT(req_method) int64_t host_req_method(void);
FLARON_IMPORT(req_url) int64_t host_req_url(void);
FLARON_IMPORT(req_header_get) int64_t host_req_header_get(int32_t name_ptr, int32_t name_len);
FLARON_IMPORT(req_body) int64_t host_req_body(void);

/* response */
FLARON_IMPORT(resp_set_status) void host_resp_set_status(int32_t status);
FLARON_IMPORT(resp_header_set) void host_resp_header_set(int32_t name_ptr, int32_t name_len,
                                                         int32_t val_ptr, int32_t val_len);
FLARON_IMPORT(resp_body_set) void host_resp_body_set(int32_t body_ptr, int32_t body_len);

/* spark */
FLARON_IMPORT(spark_get) int64_t host_spark_get(int32_t key_ptr, int32_t key_len);
FLARON_IMPORT(spark_set) int32_t host_spark_set(int32_t key_ptr, int32_t key_len,
                                                int32_t val_ptr, int32_t val_len,
                                                int32_t ttl_secs);
FLARON_IMPORT(spark_delete) void host_spark_delete(int32_t key_ptr, int32_t key_len);
FLARON_IMPORT(spark_list) int64_t host_spark_list(void);
FLARON_IMPORT(spark_pull) int32_t host_spark_pull(int32_t origin_ptr, int32_t origin_len,
                                                  int32_t keys_ptr, int32_t keys_len);

/* plasma */
FLARON_IMPORT(plasma_get) int64_t host_plasma_get(int32_t key_ptr, int32_t key_len);
FLARON_IMPORT(plasma_set) int32_t host_plasma_set(int32_t key_ptr, int32_t key_len,
                                                  int32_t val_ptr, int32_t val_len);
FLARON_IMPORT(plasma_delete) int32_t host_plasma_delete(int32_t key_ptr, int32_t key_len);
FLARON_IMPORT(plasma_increment) int64_t host_plasma_increment(int32_t key_ptr, int32_t key_len,
                                                              int64_t delta);
FLARON_IMPORT(plasma_decrement) int64_t host_plasma_decrement(int32_t key_ptr, int32_t key_len,
                                                              int64_t delta);
FLARON_IMPORT(plasma_list) int64_t host_plasma_list(void);

/* beam */
FLARON_IMPORT(beam_fetch) int64_t host_beam_fetch(int32_t url_ptr, int32_t url_len,
                                                  int32_t opts_ptr, int32_t opts_len);

/* log */
FLARON_IMPORT(log_info) void host_log_info(int32_t msg_ptr, int32_t msg_len);
FLARON_IMPORT(log_warn) void host_log_warn(int32_t msg_ptr, int32_t msg_len);
FLARON_IMPORT(log_error) void host_log_error(int32_t msg_ptr, int32_t msg_len);

/* edge ops */
FLARON_IMPORT(crypto_hash) int64_t host_crypto_hash(int32_t args_ptr, int32_t args_len);
FLARON_IMPORT(crypto_hmac) int64_t host_crypto_hmac(int32_t args_ptr, int32_t args_len);
FLARON_IMPORT(crypto_sign_jwt) int64_t host_crypto_sign_jwt(int32_t args_ptr, int32_t args_len);
FLARON_IMPORT(crypto_encrypt_aes) int64_t host_crypto_encrypt_aes(int32_t args_ptr, int32_t args_len);
FLARON_IMPORT(crypto_decrypt_aes) int64_t host_crypto_decrypt_aes(int32_t args_ptr, int32_t args_len);
FLARON_IMPORT(crypto_random_bytes) int64_t host_crypto_random_bytes(int32_t length);
FLARON_IMPORT(encoding_base64_encode) int64_t host_encoding_base64_encode(int32_t ptr, int32_t len);
FLARON_IMPORT(encoding_base64_decode) int64_t host_encoding_base64_decode(int32_t ptr, int32_t len);
FLARON_IMPORT(encoding_hex_encode) int64_t host_encoding_hex_encode(int32_t ptr, int32_t len);
FLARON_IMPORT(encoding_hex_decode) int64_t host_encoding_hex_decode(int32_t ptr, int32_t len);
FLARON_IMPORT(encoding_url_encode) int64_t host_encoding_url_encode(int32_t ptr, int32_t len);
FLARON_IMPORT(encoding_url_decode) int64_t host_encoding_url_decode(int32_t ptr, int32_t len);
FLARON_IMPORT(id_uuid) int64_t host_id_uuid(int32_t args_ptr, int32_t args_len);
FLARON_IMPORT(id_ulid) int64_t host_id_ulid(void);
FLARON_IMPORT(id_nanoid) int64_t host_id_nanoid(int32_t length);
FLARON_IMPORT(id_ksuid) int64_t host_id_ksuid(void);
FLARON_IMPORT(id_snowflake) int64_t host_id_snowflake(void);
FLARON_IMPORT(snowflake_id) int64_t host_snowflake_id(void);
FLARON_IMPORT(timestamp) int64_t host_timestamp(int32_t args_ptr, int32_t args_len);

/* secrets */
FLARON_IMPORT(secret_get) int64_t host_secret_get(int32_t key_ptr, int32_t key_len);

/* websocket */
FLARON_IMPORT(ws_send) int32_t host_ws_send(int32_t data_ptr, int32_t data_len);
FLARON_IMPORT(ws_close_conn) void host_ws_close_conn(int32_t code);
FLARON_IMPORT(ws_conn_id) int64_t host_ws_conn_id(void);
FLARON_IMPORT(ws_event_type) int64_t host_ws_event_type(void);
FLARON_IMPORT(ws_event_data) int64_t host_ws_event_data(void);
FLARON_IMPORT(ws_close_code) int32_t host_ws_close_code(void);

/* ---------------------------------------------------------------------- */
/* actions                                                                 */
/* ---------------------------------------------------------------------- */

#define ACTION_RESPOND 1
#define ACTION_TRANSFORM 2
#define ACTION_PASSTHROUGH 3

static inline int64_t rt_action(int32_t action) { return (int64_t)((uint64_t)(uint32_t)action << 32); }
static inline int64_t rt_respond(void) { return rt_action(ACTION_RESPOND); }

/* The flare's entry point, called by the runtime's handle_request export. */
int64_t flare_handle(void);

/* The exports (build.sh passes --export=alloc --export=handle_request). */
int32_t alloc(int32_t size);
int64_t handle_request(void);

/* ---------------------------------------------------------------------- */
/* memory                                                                  */
/* ---------------------------------------------------------------------- */

#define RT_ARENA_SIZE (256 * 1024)

/* rt_alloc returns 8-byte aligned arena memory, or NULL when full. */
void *rt_alloc(uint32_t size);
/* rt_mark/rt_release let a flare reuse the arena between independent steps
 * of one invocation (kvops releases after each operation). */
uint32_t rt_mark(void);
void rt_release(uint32_t mark);

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* ---------------------------------------------------------------------- */
/* byte strings                                                            */
/* ---------------------------------------------------------------------- */

typedef struct {
	const uint8_t *ptr;
	uint32_t len;
} bytes_t;

#define BYTES_LIT(s) ((bytes_t){(const uint8_t *)(s), sizeof(s) - 1})

static inline bytes_t bytes_make(const void *p, uint32_t n) { return (bytes_t){(const uint8_t *)p, n}; }
bytes_t bytes_cstr(const char *s);
int bytes_eq(bytes_t a, bytes_t b);
int bytes_eq_cstr(bytes_t a, const char *s);
/* bytes_unpack turns a packed (ptr<<32)|len host result into bytes;
 * ok is 0 when the host returned 0 ("no result"). */
bytes_t bytes_unpack(int64_t packed, int *ok);
/* bytes_cut splits s at the first sep: head before it, rest after it.
 * Returns 0 (head = s, rest empty) when sep is absent. */
int bytes_cut(bytes_t s, uint8_t sep, bytes_t *head, bytes_t *rest);

/* Decimal parsing: the whole of s must be digits (any number of leading
 * zeros; an optional leading '-' for the signed form, no '+'). Returns 1 on
 * success, 0 on an empty s, another byte, or overflow. */
int parse_u64(bytes_t s, uint64_t *out);
int parse_i64(bytes_t s, int64_t *out);

uint32_t fnv1a32(const uint8_t *p, uint32_t n);

/* percent_decode writes the decoded form of s into out (capacity >= s.len)
 * and returns its length, or -1 when a %XX escape is malformed. */
int32_t percent_decode(bytes_t s, uint8_t *out);

/* ---------------------------------------------------------------------- */
/* builder: an append-only byte buffer over caller-owned memory            */
/* ---------------------------------------------------------------------- */

typedef struct {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
	int overflow;
} builder_t;

void b_init(builder_t *b, void *buf, uint32_t cap);
void b_bytes(builder_t *b, bytes_t s);
void b_str(builder_t *b, const char *s);
void b_byte(builder_t *b, uint8_t c);
void b_u64(builder_t *b, uint64_t v);
void b_i64(builder_t *b, int64_t v);
void b_hex32(builder_t *b, uint32_t v); /* 8 lowercase hex digits */
void b_json_string(builder_t *b, bytes_t s); /* quoted, escaped */
static inline bytes_t b_result(const builder_t *b) { return (bytes_t){b->buf, b->len}; }
/* b_key_part appends s as a valid Spark key component: bytes outside
 * [a-zA-Z0-9:._-] become '_', and when anything was replaced or s is longer
 * than max, s is cut to max bytes and "." + FNV-1a hex of the original is
 * appended, so distinct inputs stay distinct keys. */
void b_key_part(builder_t *b, bytes_t s, uint32_t max);

/* ---------------------------------------------------------------------- */
/* host helpers                                                            */
/* ---------------------------------------------------------------------- */

/* Host calls take guest pointers as i32. */
#define PTR32(p) ((int32_t)(uintptr_t)(p))

/* req_header returns the header value (empty and *found = 0 when absent). */
bytes_t req_header(const char *name, int *found);
bytes_t req_url(void);
bytes_t req_body(void);
/* url_path returns the path of an absolute or relative URL, without query. */
bytes_t url_path(bytes_t url);
/* url_query_get returns the (still percent-encoded) value of a query
 * parameter; *found = 0 when absent. */
bytes_t url_query_get(bytes_t url, const char *name, int *found);
/* param reads a parameter from the header, else from the URL query
 * (percent-decoded; kept as is when an escape is malformed). */
bytes_t param(const char *header, const char *query, int *found);
/* param_i64 parses a decimal parameter; def when absent; *bad = 1 when
 * present but not a valid number. */
int64_t param_i64(const char *header, const char *query, int64_t def, int *bad);

void resp_status(int32_t status);
void resp_header(const char *name, bytes_t value);
void resp_header_i64(const char *name, int64_t value);
void resp_body(bytes_t body);
/* resp_text answers status with a short text body; returns the Respond action. */
int64_t resp_text(int32_t status, const char *text);

/* spark wrappers over the raw imports. */
/* spark_get_entry: 1 on a hit (value, ttl filled), 0 on a miss, -1 on a
 * malformed answer (shorter than the 4-byte TTL prefix). */
int spark_get_entry(bytes_t key, bytes_t *value, uint32_t *ttl);
int32_t spark_set(bytes_t key, bytes_t value, int32_t ttl);
void spark_delete(bytes_t key);

/* spark_key builds prefix + b_key_part(part, 200) in the arena. */
bytes_t spark_key(const char *prefix, bytes_t part);

/* now_ms asks the host's timestamp({"format":"ms"}); 0 when unavailable. */
int64_t now_ms(void);

/* log_line writes a message through log_info. */
void log_line(const char *msg);

/* ---------------------------------------------------------------------- */
/* tiny JSON reader (flat objects, as answered by beam_fetch)              */
/* ---------------------------------------------------------------------- */

/* json_find locates the value of a top-level member "name" of the object in
 * s; returns 1 and the raw value text (e.g. `200`, `"abc"`, `{...}`). */
int json_find(bytes_t s, const char *name, bytes_t *raw);
/* json_unquote decodes a JSON string literal into out (capacity >= raw.len)
 * and returns the length, or -1 when raw is not a valid string. */
int32_t json_unquote(bytes_t raw, uint8_t *out);
/* json_count_strings counts the string elements of a JSON array of strings;
 * -1 when s is not such an array. */
int32_t json_count_strings(bytes_t s);

#endif
