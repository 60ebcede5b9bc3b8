/*
 * session - sliding-TTL session blobs in Spark.
 *
 * Parameters (header, else query):
 *   x-session-id / sid        session id (default: a new ULID from the host,
 *                             answered in x-session-id)
 *   x-session-ttl / ttl       sliding TTL in seconds (default 1800)
 *   x-session-size / size     bytes of a new session blob (default 512,
 *                             at most 1048576)
 *
 * The blob lives under sess:ID. A hit rewrites the same blob with the full
 * TTL (one get, one set: the sliding expiry) and answers 200 with
 * x-session: HIT and x-session-ttl-left (the TTL it had left). A miss
 * creates a blob of the requested size and answers 200 with x-session: NEW.
 * Either way x-session-bytes is the blob size and the body "hit N" or
 * "new N". A refused write answers 503 with x-spark-code.
 */
#include "../runtime/flaron.h"

#define SESSION_MAX_SIZE (1024 * 1024)

static uint8_t blob[SESSION_MAX_SIZE];
static uint32_t blob_filled;

static int64_t answer(const char *state, bytes_t id, uint32_t size) {
	resp_status(200);
	resp_header("x-session", bytes_cstr(state));
	resp_header("x-session-id", id);
	resp_header_i64("x-session-bytes", size);
	uint8_t tmp[32];
	builder_t b;
	b_init(&b, tmp, sizeof tmp);
	b_str(&b, state[0] == 'H' ? "hit " : "new ");
	b_u64(&b, size);
	b_byte(&b, '\n');
	resp_body(b_result(&b));
	return rt_respond();
}

static int64_t refused(int32_t code) {
	resp_status(503);
	resp_header_i64("x-spark-code", code);
	resp_body(BYTES_LIT("session: spark_set refused\n"));
	return rt_respond();
}

int64_t flare_handle(void) {
	int found, bad = 0;
	int64_t ttl = param_i64("x-session-ttl", "ttl", 1800, &bad);
	int64_t size = param_i64("x-session-size", "size", 512, &bad);
	if (bad || ttl < 0 || ttl > 2147483647ll || size < 0 || size > SESSION_MAX_SIZE) {
		return resp_text(400, "session: x-session-ttl must be a 32-bit TTL and x-session-size 0..1048576\n");
	}
	bytes_t id = param("x-session-id", "sid", &found);
	int fresh = 0;
	if (!found || id.len == 0) {
		int ok;
		id = bytes_unpack(host_id_ulid(), &ok);
		if (!ok || id.len == 0) {
			return resp_text(500, "session: the host's id_ulid gave no id\n");
		}
		fresh = 1;
	}
	bytes_t key = spark_key("sess:", id);

	bytes_t value;
	uint32_t left;
	if (!fresh && spark_get_entry(key, &value, &left) == 1) {
		int32_t code = spark_set(key, value, (int32_t)ttl);
		if (code != 0) {
			return refused(code);
		}
		resp_header_i64("x-session-ttl-left", left);
		return answer("HIT", id, value.len);
	}

	while (blob_filled < (uint32_t)size) {
		blob[blob_filled] = (uint8_t)('a' + blob_filled % 26);
		blob_filled++;
	}
	int32_t code = spark_set(key, bytes_make(blob, (uint32_t)size), (int32_t)ttl);
	if (code != 0) {
		return refused(code);
	}
	return answer("NEW", id, (uint32_t)size);
}
