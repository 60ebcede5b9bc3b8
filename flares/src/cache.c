/*
 * cache - a response cache keyed by path over Spark, filled from an origin
 * through beam_fetch on a miss.
 *
 * Parameters (header, else query):
 *   x-cache-key / cache_key   cache key (default: the request path)
 *   x-cache-ttl / cache_ttl   TTL in seconds of a stored response (default 60)
 *   x-origin / origin         origin base URL, e.g. https://origin.example;
 *                             the request path and query are appended
 *                             (default: fetch the request URL itself)
 *
 * A hit answers the stored status and body with x-cache: HIT and
 * x-cache-ttl (remaining seconds). A miss fetches the origin, answers its
 * status and body with x-cache: MISS, and stores 200 responses under
 * cache:KEY as "STATUS\n" + body; x-cache-store carries spark_set's code
 * (0 stored; 2 when the body exceeds max_value_bytes, ...). An origin that
 * cannot be reached answers 502.
 */
#include "../runtime/flaron.h"

static const char fetch_opts[] = "{\"method\":\"GET\"}";

static int64_t hit(bytes_t value, uint32_t ttl) {
	bytes_t status_text, body;
	uint64_t status = 200;
	if (!bytes_cut(value, '\n', &status_text, &body) || !parse_u64(status_text, &status) || status > 999) {
		return 0; /* not ours: treat as a miss */
	}
	resp_status((int32_t)status);
	resp_header("x-cache", BYTES_LIT("HIT"));
	resp_header_i64("x-cache-ttl", ttl);
	resp_body(body);
	return rt_respond();
}

int64_t flare_handle(void) {
	int found, bad = 0;
	bytes_t url = req_url();
	bytes_t path = url_path(url);
	bytes_t key_part = param("x-cache-key", "cache_key", &found);
	if (!found || key_part.len == 0) {
		key_part = path;
	}
	int64_t ttl = param_i64("x-cache-ttl", "cache_ttl", 60, &bad);
	if (bad || ttl < 0 || ttl > 2147483647ll) {
		return resp_text(400, "cache: x-cache-ttl must be a non-negative 32-bit integer\n");
	}
	bytes_t key = spark_key("cache:", key_part);

	bytes_t value;
	uint32_t left;
	if (spark_get_entry(key, &value, &left) == 1) {
		int64_t action = hit(value, left);
		if (action != 0) {
			return action;
		}
	}

	/* miss: build the fetch URL */
	bytes_t origin = param("x-origin", "origin", &found);
	bytes_t fetch = url;
	if (found && origin.len > 0) {
		/* origin + path + ?query */
		uint32_t q = 0;
		while (q < url.len && url.ptr[q] != '?') {
			q++;
		}
		bytes_t query = bytes_make(url.ptr + q, url.len - q);
		uint32_t cap = origin.len + path.len + query.len;
		builder_t b;
		b_init(&b, rt_alloc(cap), cap);
		while (origin.len > 0 && origin.ptr[origin.len - 1] == '/') {
			origin.len--;
		}
		b_bytes(&b, origin);
		b_bytes(&b, path);
		b_bytes(&b, query);
		fetch = b_result(&b);
	}

	int ok;
	bytes_t reply = bytes_unpack(host_beam_fetch(PTR32(fetch.ptr), (int32_t)fetch.len, PTR32(fetch_opts),
	                                             (int32_t)(sizeof fetch_opts - 1)),
	                             &ok);
	bytes_t raw_status, raw_body;
	uint64_t status;
	if (!ok || !json_find(reply, "status", &raw_status) || !parse_u64(raw_status, &status) || status > 999 ||
	    !json_find(reply, "body", &raw_body)) {
		resp_header("x-cache", BYTES_LIT("MISS"));
		return resp_text(502, "cache: origin fetch failed\n");
	}

	/* decode the body straight after a "STATUS\n" prefix: the stored value */
	uint32_t cap = 8 + raw_body.len;
	builder_t v;
	b_init(&v, rt_alloc(cap), cap);
	b_u64(&v, status);
	b_byte(&v, '\n');
	if (v.overflow) {
		return resp_text(500, "cache: guest arena full\n");
	}
	uint32_t prefix = v.len;
	int32_t n = json_unquote(raw_body, v.buf + prefix);
	if (n < 0) {
		resp_header("x-cache", BYTES_LIT("MISS"));
		return resp_text(502, "cache: origin answered a malformed body\n");
	}
	v.len = prefix + (uint32_t)n;

	if (status == 200) {
		resp_header_i64("x-cache-store", spark_set(key, b_result(&v), (int32_t)ttl));
	}
	resp_status((int32_t)status);
	resp_header("x-cache", BYTES_LIT("MISS"));
	resp_body(bytes_make(v.buf + prefix, (uint32_t)n));
	return rt_respond();
}
