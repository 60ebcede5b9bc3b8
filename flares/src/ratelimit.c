/*
 * ratelimit - a per-client rate limiter over Spark: fixed window or token
 * bucket, chosen per request.
 *
 * Parameters (header, else query):
 *   x-client-id / client        client identity (default "anon")
 *   x-algo / algo               "fixed" (default) or "token"
 *   x-limit / limit             requests per window, or bucket capacity (default 100)
 *   x-window-secs / window      window length in seconds (default 1,
 *                               at most 2591999: TTLs stay within 30 days)
 *   x-refill-per-sec / refill   token bucket only: refill in tokens/second
 *                               (default limit / window; 0: never, the
 *                               state is then kept 30 days)
 *   x-now-ms / now_ms           clock override in unix ms (default: the
 *                               host's timestamp), for reproducible tests
 *
 * Answers 200 (allowed) or 429 (limited) with x-ratelimit-limit,
 * x-ratelimit-remaining and x-ratelimit-reset (seconds, until the window
 * ends or the next token arrives);
 * the body says "allowed remaining=N" or "limited remaining=N". A refused
 * Spark write answers 503 with x-spark-code; a bad parameter 400.
 *
 * Fixed window: key rl:fw:CLIENT:WINDOW_INDEX holds the count of the
 * current window (TTL: the rest of the window + 1 s), so a window never
 * slides however often it is rewritten.
 * Token bucket: key rl:tb:CLIENT holds "MICROTOKENS LAST_MS"; a missing key
 * is a full bucket, so the TTL is the time to refill completely.
 *
 * Spark has no compare-and-set, so this is a get-then-set limiter: two
 * requests of one client served at the same moment may read the same state,
 * and the limiter can admit up to (requests in flight for that client - 1)
 * more than the limit. Reports should count 200s against the limit with
 * that in mind; sequential requests are limited exactly.
 */
#include "../runtime/flaron.h"

#define MICRO 1000000ll
/* Spark's default max_ttl_secs (30 days): no TTL this flare writes exceeds
 * it, so its windows are at most 30 days - 1 s. */
#define MAX_TTL_SECS 2592000ll

static int64_t answer(int allowed, int64_t limit, int64_t remaining, int64_t reset_secs) {
	resp_status(allowed ? 200 : 429);
	resp_header_i64("x-ratelimit-limit", limit);
	resp_header_i64("x-ratelimit-remaining", remaining);
	resp_header_i64("x-ratelimit-reset", reset_secs);
	uint8_t tmp[64];
	builder_t b;
	b_init(&b, tmp, sizeof tmp);
	b_str(&b, allowed ? "allowed remaining=" : "limited remaining=");
	b_i64(&b, remaining);
	b_byte(&b, '\n');
	resp_body(b_result(&b));
	return rt_respond();
}

static int64_t refused(int32_t code) {
	resp_status(503);
	resp_header_i64("x-spark-code", code);
	resp_body(BYTES_LIT("ratelimit: spark_set refused\n"));
	return rt_respond();
}

static int64_t fixed_window(bytes_t client, int64_t limit, int64_t window, int64_t now) {
	int64_t window_ms = window * 1000;
	int64_t index = now / window_ms;
	int64_t reset_ms = (index + 1) * window_ms - now;
	int64_t reset_secs = (reset_ms + 999) / 1000;

	uint8_t kbuf[256];
	builder_t key;
	b_init(&key, kbuf, sizeof kbuf);
	b_str(&key, "rl:fw:");
	b_key_part(&key, client, 200);
	b_byte(&key, ':');
	b_i64(&key, index);

	uint64_t count = 0;
	bytes_t value;
	uint32_t ttl;
	if (spark_get_entry(b_result(&key), &value, &ttl) == 1 && !parse_u64(value, &count)) {
		count = 0;
	}
	if ((int64_t)count >= limit) {
		return answer(0, limit, 0, reset_secs);
	}
	count++;
	uint8_t vbuf[24];
	builder_t v;
	b_init(&v, vbuf, sizeof vbuf);
	b_u64(&v, count);
	int32_t code = spark_set(b_result(&key), b_result(&v), (int32_t)(reset_secs + 1));
	if (code != 0) {
		return refused(code);
	}
	return answer(1, limit, limit - (int64_t)count, reset_secs);
}

static int64_t token_bucket(bytes_t client, int64_t limit, int64_t rate_micro_per_ms, int64_t now) {
	int64_t cap = limit * MICRO;
	bytes_t key = spark_key("rl:tb:", client);

	int64_t tokens = cap;
	bytes_t value;
	uint32_t ttl;
	if (spark_get_entry(key, &value, &ttl) == 1) {
		bytes_t t, last;
		int64_t saved, last_ms;
		if (bytes_cut(value, ' ', &t, &last) && parse_i64(t, &saved) && parse_i64(last, &last_ms) &&
		    saved >= 0 && saved <= cap) {
			int64_t elapsed = now - last_ms;
			if (elapsed < 0) {
				elapsed = 0;
			}
			/* refill without overflow: past the time to fill, it is full */
			if (rate_micro_per_ms > 0 && elapsed >= (cap - saved) / rate_micro_per_ms + 1) {
				tokens = cap;
			} else {
				tokens = saved + elapsed * rate_micro_per_ms;
				if (tokens > cap) {
					tokens = cap;
				}
			}
		}
	}

	int64_t next_ms = 0; /* time until one more token */
	if (tokens < MICRO) {
		next_ms = rate_micro_per_ms > 0 ? (MICRO - tokens + rate_micro_per_ms - 1) / rate_micro_per_ms : 0;
		return answer(0, limit, 0, (next_ms + 999) / 1000);
	}
	tokens -= MICRO;
	if (tokens < MICRO && rate_micro_per_ms > 0) {
		next_ms = (MICRO - tokens + rate_micro_per_ms - 1) / rate_micro_per_ms;
	}

	int64_t full_ms = rate_micro_per_ms > 0 ? (cap - tokens + rate_micro_per_ms - 1) / rate_micro_per_ms : MAX_TTL_SECS * 1000;
	int64_t ttl_secs = full_ms / 1000 + 1;
	if (ttl_secs > MAX_TTL_SECS) {
		/* a slower refill than that forgets the bucket early (full again) */
		ttl_secs = MAX_TTL_SECS;
	}
	uint8_t vbuf[48];
	builder_t v;
	b_init(&v, vbuf, sizeof vbuf);
	b_i64(&v, tokens);
	b_byte(&v, ' ');
	b_i64(&v, now);
	int32_t code = spark_set(key, b_result(&v), (int32_t)ttl_secs);
	if (code != 0) {
		return refused(code);
	}
	return answer(1, limit, tokens / MICRO, (next_ms + 999) / 1000);
}

int64_t flare_handle(void) {
	int found, bad = 0;
	bytes_t client = param("x-client-id", "client", &found);
	if (!found || client.len == 0) {
		client = BYTES_LIT("anon");
	}
	bytes_t algo = param("x-algo", "algo", &found);
	if (!found) {
		algo = BYTES_LIT("fixed");
	}
	int64_t limit = param_i64("x-limit", "limit", 100, &bad);
	int64_t window = param_i64("x-window-secs", "window", 1, &bad);
	int token = bytes_eq_cstr(algo, "token");
	int64_t refill = token ? param_i64("x-refill-per-sec", "refill", -1, &bad) : -1;
	int64_t now = -1;
	bytes_t now_text = param("x-now-ms", "now_ms", &found);
	/* up to 1e15 ms (year 33658): window arithmetic cannot overflow */
	if (found && (!parse_i64(now_text, &now) || now < 0 || now > 1000000000000000ll)) {
		bad = 1;
	}
	if (bad || limit < 1 || limit > 1000000000ll || window < 1 || window > MAX_TTL_SECS - 1 || refill < -1 ||
	    refill > 1000000000ll) {
		return resp_text(400, "ratelimit: x-limit, x-window-secs, x-refill-per-sec and x-now-ms must be positive integers\n");
	}
	if (now < 0) {
		now = now_ms();
		if (now <= 0) {
			return resp_text(500, "ratelimit: the host's timestamp gave no time\n");
		}
	}

	if (bytes_eq_cstr(algo, "fixed")) {
		return fixed_window(client, limit, window, now);
	}
	if (token) {
		/* micro-tokens per ms: tokens/s * 1e6 / 1000 */
		int64_t rate = refill >= 0 ? refill * 1000 : limit * 1000 / window;
		return token_bucket(client, limit, rate, now);
	}
	return resp_text(400, "ratelimit: x-algo must be fixed or token\n");
}
