/*
 * kvops - a generic Spark driver: executes the operations listed in the
 * request body and answers one line per operation.
 *
 * The request language is fixed by docs/CONTRACTS.md (## kvops request
 * language); the host's reference-model test replays it, so any change here
 * must change the contract in the same commit.
 *
 *   get KEY                      -> get hit ttl=TTL len=LEN value=VALUE | get miss | get bad
 *   get KEY hash                 -> get hit TTL LEN FNV | get miss | get bad
 *   set KEY SIZE TTL [SEED]      -> set CODE
 *   del KEY                      -> del
 *   list                         -> list N FNV | list none | list bad FNV
 *   pull ORIGIN KEY[,KEY...]     -> pull RC
 *   anything else                -> err LINE_NUMBER
 */
#include "../runtime/flaron.h"

/* KVOPS_MAX_SIZE bounds SIZE so that values over any sane max_value_bytes
 * (default 64 KiB) can still be sent to probe TooLarge. */
#define KVOPS_MAX_SIZE (1024 * 1024)
#define KVOPS_OUT_SIZE (512 * 1024)
#define KVOPS_MAX_REPEAT 1000000

/* Value bytes are a window of the repeating alphabet: byte j of the value
 * for SEED is pattern[SEED % 26 + j] = 'a' + (SEED + j) % 26. Filled lazily
 * up to the largest size seen by this instance. */
static uint8_t pattern[KVOPS_MAX_SIZE + 26];
static uint32_t pattern_filled;
static uint8_t out_buf[KVOPS_OUT_SIZE];
/* b_value appends v percent-encoded as a request field is decoded: bytes
 * outside '!'..'~', '%' and '~' as %XX; the empty value as "~". */
static void b_value(builder_t *out, bytes_t v) {
	static const char hex[] = "0123456789ABCDEF";
	if (v.len == 0) {
		b_byte(out, '~');
		return;
	}
	for (uint32_t i = 0; i < v.len; i++) {
		uint8_t c = v.ptr[i];
		if (c > ' ' && c < 0x7f && c != '%' && c != '~') {
			b_byte(out, c);
		} else {
			b_byte(out, '%');
			b_byte(out, (uint8_t)hex[c >> 4]);
			b_byte(out, (uint8_t)hex[c & 15]);
		}
	}
}

static const uint8_t *value_for(uint64_t size, uint64_t seed) {
	uint32_t need = (uint32_t)size + 26;
	while (pattern_filled < need) {
		pattern[pattern_filled] = (uint8_t)('a' + pattern_filled % 26);
		pattern_filled++;
	}
	return pattern + seed % 26;
}

/* decode_field percent-decodes a KEY or ORIGIN field into the arena; `~`
 * is the empty string. Returns 0 on a malformed escape or a full arena. */
static int decode_field(bytes_t field, bytes_t *out) {
	if (field.len == 1 && field.ptr[0] == '~') {
		*out = bytes_make(field.ptr, 0);
		return 1;
	}
	uint8_t *buf = (uint8_t *)rt_alloc(field.len + 1);
	if (buf == NULL) {
		return 0;
	}
	int32_t n = percent_decode(field, buf);
	if (n < 0) {
		return 0;
	}
	*out = bytes_make(buf, (uint32_t)n);
	return 1;
}

/* split_fields splits line on single spaces; empty fields are kept (and
 * rejected by the callers, since no field may be empty). */
static uint32_t split_fields(bytes_t line, bytes_t *fields, uint32_t max) {
	uint32_t n = 0;
	for (;;) {
		bytes_t head, rest;
		int more = bytes_cut(line, ' ', &head, &rest);
		if (n == max) {
			return max + 1; /* too many */
		}
		fields[n++] = head;
		if (!more) {
			return n;
		}
		line = rest;
	}
}

static int nonempty(const bytes_t *f, uint32_t n) {
	for (uint32_t i = 0; i < n; i++) {
		if (f[i].len == 0) {
			return 0;
		}
	}
	return 1;
}

static int op_get(builder_t *out, bytes_t *f, uint32_t n) {
	bytes_t key, value;
	uint32_t ttl;
	/* "get KEY hash" answers the FNV form, for values too large to
	 * answer in full */
	int hash = n == 3 && bytes_eq_cstr(f[2], "hash");
	if ((n != 2 && !hash) || !decode_field(f[1], &key)) {
		return 0;
	}
	int r = spark_get_entry(key, &value, &ttl);
	if (r == 0) {
		b_str(out, "get miss");
	} else if (r < 0) {
		b_str(out, "get bad");
	} else if (hash) {
		b_str(out, "get hit ");
		b_u64(out, ttl);
		b_byte(out, ' ');
		b_u64(out, value.len);
		b_byte(out, ' ');
		b_hex32(out, fnv1a32(value.ptr, value.len));
	} else {
		b_str(out, "get hit ttl=");
		b_u64(out, ttl);
		b_str(out, " len=");
		b_u64(out, value.len);
		b_str(out, " value=");
		b_value(out, value);
	}
	return 1;
}

static int op_set(builder_t *out, bytes_t *f, uint32_t n) {
	bytes_t key;
	uint64_t size, seed = 0;
	int64_t ttl;
	if (n != 4 && n != 5) {
		return 0;
	}
	if (!parse_u64(f[2], &size) || size > KVOPS_MAX_SIZE) {
		return 0;
	}
	if (!parse_i64(f[3], &ttl) || ttl < -2147483648ll || ttl > 2147483647ll) {
		return 0;
	}
	if (n == 5 && !parse_u64(f[4], &seed)) {
		return 0;
	}
	if (!decode_field(f[1], &key)) {
		return 0;
	}
	int32_t code = spark_set(key, bytes_make(value_for(size, seed), (uint32_t)size), (int32_t)ttl);
	b_str(out, "set ");
	b_i64(out, code);
	return 1;
}

static int op_del(builder_t *out, bytes_t *f, uint32_t n) {
	bytes_t key;
	if (n != 2 || !decode_field(f[1], &key)) {
		return 0;
	}
	spark_delete(key);
	b_str(out, "del");
	return 1;
}

static int op_list(builder_t *out, uint32_t n) {
	if (n != 1) {
		return 0;
	}
	int ok;
	bytes_t json = bytes_unpack(host_spark_list(), &ok);
	if (!ok) {
		b_str(out, "list none");
		return 1;
	}
	int32_t count = json_count_strings(json);
	if (count < 0) {
		b_str(out, "list bad ");
	} else {
		b_str(out, "list ");
		b_u64(out, (uint32_t)count);
		b_byte(out, ' ');
	}
	b_hex32(out, fnv1a32(json.ptr, json.len));
	return 1;
}

static int op_pull(builder_t *out, bytes_t *f, uint32_t n) {
	bytes_t origin;
	if (n != 3 || !decode_field(f[1], &origin)) {
		return 0;
	}
	/* JSON can grow each byte to 6 (\u00XX) plus quotes and commas. */
	uint32_t cap = f[2].len * 6 + 16;
	builder_t keys;
	b_init(&keys, rt_alloc(cap), cap);
	b_byte(&keys, '[');
	if (!(f[2].len == 2 && f[2].ptr[0] == '[' && f[2].ptr[1] == ']')) {
		bytes_t rest = f[2];
		int first = 1;
		for (;;) {
			bytes_t item, key;
			int more = bytes_cut(rest, ',', &item, &rest);
			if (item.len == 0 || !decode_field(item, &key)) {
				return 0;
			}
			if (!first) {
				b_byte(&keys, ',');
			}
			first = 0;
			b_json_string(&keys, key);
			if (!more) {
				break;
			}
		}
	}
	b_byte(&keys, ']');
	if (keys.overflow) {
		return 0;
	}
	int32_t rc = host_spark_pull(PTR32(origin.ptr), (int32_t)origin.len, PTR32(keys.buf), (int32_t)keys.len);
	b_str(out, "pull ");
	b_i64(out, rc);
	return 1;
}

static void run_line(builder_t *out, bytes_t line, uint32_t lineno) {
	bytes_t f[6];
	uint32_t n = split_fields(line, f, 5);
	uint32_t mark = rt_mark();
	uint32_t start = out->len;
	int ok = 0;
	if (n <= 5 && nonempty(f, n)) {
		bytes_t op = f[0];
		if (bytes_eq_cstr(op, "get")) {
			ok = op_get(out, f, n);
		} else if (bytes_eq_cstr(op, "set")) {
			ok = op_set(out, f, n);
		} else if (bytes_eq_cstr(op, "del")) {
			ok = op_del(out, f, n);
		} else if (bytes_eq_cstr(op, "list")) {
			ok = op_list(out, n);
		} else if (bytes_eq_cstr(op, "pull")) {
			ok = op_pull(out, f, n);
		}
	}
	rt_release(mark);
	if (!ok) {
		out->len = start;
		b_str(out, "err ");
		b_u64(out, lineno);
	}
	b_byte(out, '\n');
}

int64_t flare_handle(void) {
	int found;
	int64_t repeat = 1;
	bytes_t rv = req_header("x-kvops-repeat", &found);
	if (found && (!parse_i64(rv, &repeat) || repeat < 1 || repeat > KVOPS_MAX_REPEAT)) {
		return resp_text(400, "kvops: x-kvops-repeat must be an integer in 1..1000000\n");
	}
	bytes_t body = req_body();

	builder_t out;
	b_init(&out, out_buf, sizeof out_buf);
	for (int64_t pass = 0; pass < repeat && !out.overflow; pass++) {
		bytes_t rest = body;
		uint32_t lineno = 0;
		while (rest.len > 0) {
			bytes_t line;
			bytes_cut(rest, '\n', &line, &rest);
			lineno++;
			if (line.len > 0 && line.ptr[line.len - 1] == '\r') {
				line.len--;
			}
			run_line(&out, line, lineno);
		}
	}
	if (out.overflow) {
		return resp_text(500, "kvops: response exceeds 524288 bytes\n");
	}
	resp_status(200);
	resp_body(b_result(&out));
	return rt_respond();
}
