/*
 * counter - a hits counter: one spark_get, one spark_set per request.
 *
 * Parameters (header, else query):
 *   x-counter-key / key   Spark key to count in (default "hits")
 *   x-ttl / ttl           TTL in seconds for the write (default 0: no expiry)
 *
 * Answers 200 with the new count as the body; 503 with x-spark-code when
 * the write is refused; 400 on a bad parameter. It stays this lean (one
 * get, one set, status and body) because it is the flare the host's
 * per-invocation overhead is measured with.
 */
#include "../runtime/flaron.h"

int64_t flare_handle(void) {
	int found, bad = 0;
	bytes_t key = param("x-counter-key", "key", &found);
	if (!found || key.len == 0) {
		key = BYTES_LIT("hits");
	}
	int64_t ttl = param_i64("x-ttl", "ttl", 0, &bad);
	if (bad || ttl < -2147483648ll || ttl > 2147483647ll) {
		return resp_text(400, "counter: x-ttl must be a 32-bit integer\n");
	}

	uint64_t count = 0;
	bytes_t value;
	uint32_t left;
	if (spark_get_entry(key, &value, &left) == 1 && !parse_u64(value, &count)) {
		count = 0; /* not a number: start over */
	}
	count++;

	uint8_t tmp[24];
	builder_t b;
	b_init(&b, tmp, sizeof tmp);
	b_u64(&b, count);
	int32_t code = spark_set(key, b_result(&b), (int32_t)ttl);
	if (code != 0) {
		resp_status(503);
		resp_header_i64("x-spark-code", code);
		resp_body(BYTES_LIT("counter: spark_set refused\n"));
		return rt_respond();
	}
	/* status 200 is the host's default: one host call fewer on the path
	 * the per-invocation overhead is measured on */
	resp_body(b_result(&b));
	return rt_respond();
}
