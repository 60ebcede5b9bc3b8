/*
 * migrate - reads a key and, when it is missing here, pulls it from another
 * node with spark_pull, then reads it again.
 *
 * Parameters (header, else query):
 *   x-key / key                 the Spark key (default: sess:ID from
 *                               x-session-id, so it follows the session flare)
 *   x-session-id / sid          session id, when x-key is absent
 *   x-origin-node / origin      node to pull from on a miss
 *
 * Answers x-migrate: LOCAL (200, found here), PULLED (200, found after the
 * pull), MISS (404, not found anywhere or no origin given) or PULL-FAILED
 * (502, spark_pull answered a negative code, in x-pull-rc). On a hit,
 * x-ttl is the remaining TTL and the body the value length; after a pull,
 * x-pull-rc is its return (keys migrated).
 */
#include "../runtime/flaron.h"

static int64_t found_here(const char *how, bytes_t value, uint32_t ttl) {
	resp_status(200);
	resp_header("x-migrate", bytes_cstr(how));
	resp_header_i64("x-ttl", ttl);
	uint8_t tmp[32];
	builder_t b;
	b_init(&b, tmp, sizeof tmp);
	b_str(&b, "bytes ");
	b_u64(&b, value.len);
	b_byte(&b, '\n');
	resp_body(b_result(&b));
	return rt_respond();
}

int64_t flare_handle(void) {
	int found;
	bytes_t key = param("x-key", "key", &found);
	if (!found || key.len == 0) {
		bytes_t sid = param("x-session-id", "sid", &found);
		if (!found || sid.len == 0) {
			return resp_text(400, "migrate: give x-key or x-session-id\n");
		}
		key = spark_key("sess:", sid);
	}

	bytes_t value;
	uint32_t ttl;
	if (spark_get_entry(key, &value, &ttl) == 1) {
		return found_here("LOCAL", value, ttl);
	}

	bytes_t origin = param("x-origin-node", "origin", &found);
	if (!found || origin.len == 0) {
		resp_header("x-migrate", BYTES_LIT("MISS"));
		return resp_text(404, "migrate: missing here and no x-origin-node\n");
	}

	uint32_t cap = key.len * 6 + 4;
	builder_t keys;
	b_init(&keys, rt_alloc(cap), cap);
	b_byte(&keys, '[');
	b_json_string(&keys, key);
	b_byte(&keys, ']');
	if (keys.overflow) {
		return resp_text(500, "migrate: guest arena full\n");
	}
	int32_t rc = host_spark_pull(PTR32(origin.ptr), (int32_t)origin.len, PTR32(keys.buf), (int32_t)keys.len);
	resp_header_i64("x-pull-rc", rc);
	if (rc < 0) {
		resp_header("x-migrate", BYTES_LIT("PULL-FAILED"));
		return resp_text(502, "migrate: spark_pull failed\n");
	}
	if (spark_get_entry(key, &value, &ttl) == 1) {
		return found_here("PULLED", value, ttl);
	}
	resp_header("x-migrate", BYTES_LIT("MISS"));
	return resp_text(404, "migrate: not found on the origin either\n");
}
