/*
 * runtime.c - arena, exports and helpers of sparkbench's guest runtime.
 * See flaron.h for the contract of each function.
 */
#include "flaron.h"

/* ---------------------------------------------------------------------- */
/* arena and exports                                                       */
/* ---------------------------------------------------------------------- */

static uint8_t arena[RT_ARENA_SIZE] __attribute__((aligned(8)));
static uint32_t arena_used;

void *rt_alloc(uint32_t size) {
	uint32_t start = (arena_used + 7u) & ~7u;
	if (start > RT_ARENA_SIZE || size > RT_ARENA_SIZE - start) {
		return NULL;
	}
	arena_used = start + size;
	return arena + start;
}

uint32_t rt_mark(void) { return arena_used; }

/* The request URL is fetched at most once per invocation: every parameter
 * absent from the headers is looked up in its query. */
static bytes_t url_cache;
static int url_cached;

void rt_release(uint32_t mark) {
	if (mark <= arena_used) {
		arena_used = mark;
		if (url_cached && url_cache.ptr >= arena + mark) {
			url_cached = 0; /* it lived in the memory just released */
		}
	}
}

/* alloc is how the host obtains guest memory for the data it returns. It
 * answers 0 when the arena is full (the host then reports "no result") and
 * for negative sizes. A zero size gets a valid, non-null pointer. */
int32_t alloc(int32_t size) {
	if (size < 0) {
		return 0;
	}
	void *p = rt_alloc((uint32_t)size);
	return p == NULL ? 0 : PTR32(p);
}

int64_t handle_request(void) {
	arena_used = 0;
	url_cached = 0;
	return flare_handle();
}

/* clang lowers struct copies and zeroing to these even in freestanding mode. */
void *memcpy(void *dst, const void *src, size_t n) {
	uint8_t *d = (uint8_t *)dst;
	const uint8_t *s = (const uint8_t *)src;
	while (n--) {
		*d++ = *s++;
	}
	return dst;
}

void *memset(void *dst, int c, size_t n) {
	uint8_t *d = (uint8_t *)dst;
	while (n--) {
		*d++ = (uint8_t)c;
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
	const uint8_t *x = (const uint8_t *)a;
	const uint8_t *y = (const uint8_t *)b;
	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i]) {
			return x[i] < y[i] ? -1 : 1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* byte strings and numbers                                                */
/* ---------------------------------------------------------------------- */

bytes_t bytes_cstr(const char *s) {
	uint32_t n = 0;
	while (s[n] != 0) {
		n++;
	}
	return bytes_make(s, n);
}

int bytes_eq(bytes_t a, bytes_t b) { return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0; }

int bytes_eq_cstr(bytes_t a, const char *s) { return bytes_eq(a, bytes_cstr(s)); }

bytes_t bytes_unpack(int64_t packed, int *ok) {
	uint64_t u = (uint64_t)packed;
	if (u == 0) {
		*ok = 0;
		return bytes_make(NULL, 0);
	}
	*ok = 1;
	return bytes_make((const void *)(uintptr_t)(uint32_t)(u >> 32), (uint32_t)u);
}

int bytes_cut(bytes_t s, uint8_t sep, bytes_t *head, bytes_t *rest) {
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.ptr[i] == sep) {
			*head = bytes_make(s.ptr, i);
			*rest = bytes_make(s.ptr + i + 1, s.len - i - 1);
			return 1;
		}
	}
	*head = s;
	*rest = bytes_make(s.ptr + s.len, 0);
	return 0;
}

int parse_u64(bytes_t s, uint64_t *out) {
	if (s.len == 0) {
		return 0;
	}
	uint64_t v = 0;
	for (uint32_t i = 0; i < s.len; i++) {
		uint8_t c = s.ptr[i];
		if (c < '0' || c > '9') {
			return 0;
		}
		uint64_t d = (uint64_t)(c - '0');
		if (v > (~0ull - d) / 10) {
			return 0;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

int parse_i64(bytes_t s, int64_t *out) {
	int neg = 0;
	if (s.len > 0 && s.ptr[0] == '-') {
		neg = 1;
		s = bytes_make(s.ptr + 1, s.len - 1);
	}
	uint64_t u;
	if (!parse_u64(s, &u)) {
		return 0;
	}
	if (neg) {
		if (u > (1ull << 63)) {
			return 0;
		}
		*out = (int64_t)(0 - u);
	} else {
		if (u > (uint64_t)0x7fffffffffffffffll) {
			return 0;
		}
		*out = (int64_t)u;
	}
	return 1;
}

uint32_t fnv1a32(const uint8_t *p, uint32_t n) {
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static int hex_value(uint8_t c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int32_t percent_decode(bytes_t s, uint8_t *out) {
	uint32_t n = 0;
	for (uint32_t i = 0; i < s.len; i++) {
		uint8_t c = s.ptr[i];
		if (c == '%') {
			if (i + 2 >= s.len) {
				return -1;
			}
			int hi = hex_value(s.ptr[i + 1]);
			int lo = hex_value(s.ptr[i + 2]);
			if (hi < 0 || lo < 0) {
				return -1;
			}
			out[n++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = c;
		}
	}
	return (int32_t)n;
}

/* ---------------------------------------------------------------------- */
/* builder                                                                 */
/* ---------------------------------------------------------------------- */

void b_init(builder_t *b, void *buf, uint32_t cap) {
	b->buf = (uint8_t *)buf;
	b->cap = buf == NULL ? 0 : cap;
	b->len = 0;
	b->overflow = buf == NULL;
}

void b_bytes(builder_t *b, bytes_t s) {
	if (s.len > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->buf + b->len, s.ptr, s.len);
	b->len += s.len;
}

void b_str(builder_t *b, const char *s) { b_bytes(b, bytes_cstr(s)); }

void b_byte(builder_t *b, uint8_t c) {
	if (b->len >= b->cap) {
		b->overflow = 1;
		return;
	}
	b->buf[b->len++] = c;
}

void b_u64(builder_t *b, uint64_t v) {
	uint8_t tmp[20];
	uint32_t n = 0;
	do {
		tmp[n++] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0) {
		b_byte(b, tmp[--n]);
	}
}

void b_i64(builder_t *b, int64_t v) {
	if (v < 0) {
		b_byte(b, '-');
		b_u64(b, 0 - (uint64_t)v);
		return;
	}
	b_u64(b, (uint64_t)v);
}

static const char hex_digits[] = "0123456789abcdef";

void b_hex32(builder_t *b, uint32_t v) {
	for (int shift = 28; shift >= 0; shift -= 4) {
		b_byte(b, (uint8_t)hex_digits[(v >> shift) & 0xf]);
	}
}

void b_json_string(builder_t *b, bytes_t s) {
	b_byte(b, '"');
	for (uint32_t i = 0; i < s.len; i++) {
		uint8_t c = s.ptr[i];
		if (c == '"' || c == '\\') {
			b_byte(b, '\\');
			b_byte(b, c);
		} else if (c < 0x20) {
			b_str(b, "\\u00");
			b_byte(b, (uint8_t)hex_digits[c >> 4]);
			b_byte(b, (uint8_t)hex_digits[c & 0xf]);
		} else {
			b_byte(b, c);
		}
	}
	b_byte(b, '"');
}

static int key_byte(uint8_t c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
	       c == '.' || c == '_' || c == '-';
}

void b_key_part(builder_t *b, bytes_t s, uint32_t max) {
	int changed = s.len > max;
	uint32_t n = s.len > max ? max : s.len;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = s.ptr[i];
		if (!key_byte(c)) {
			c = '_';
			changed = 1;
		}
		b_byte(b, c);
	}
	if (changed) {
		b_byte(b, '.');
		b_hex32(b, fnv1a32(s.ptr, s.len));
	}
}

/* ---------------------------------------------------------------------- */
/* request and response                                                    */
/* ---------------------------------------------------------------------- */

bytes_t req_header(const char *name, int *found) {
	bytes_t n = bytes_cstr(name);
	int ok;
	bytes_t v = bytes_unpack(host_req_header_get(PTR32(n.ptr), (int32_t)n.len), &ok);
	if (found != NULL) {
		*found = ok;
	}
	return v;
}

bytes_t req_url(void) {
	if (!url_cached) {
		int ok;
		url_cache = bytes_unpack(host_req_url(), &ok);
		url_cached = 1;
	}
	return url_cache;
}

bytes_t req_body(void) {
	int ok;
	return bytes_unpack(host_req_body(), &ok);
}

bytes_t url_path(bytes_t url) {
	uint32_t i = 0;
	/* skip "scheme://authority" when present */
	for (uint32_t j = 0; j + 2 < url.len; j++) {
		if (url.ptr[j] == ':' && url.ptr[j + 1] == '/' && url.ptr[j + 2] == '/') {
			i = j + 3;
			while (i < url.len && url.ptr[i] != '/' && url.ptr[i] != '?' && url.ptr[i] != '#') {
				i++;
			}
			break;
		}
		if (url.ptr[j] == '/' || url.ptr[j] == '?') {
			break;
		}
	}
	uint32_t end = i;
	while (end < url.len && url.ptr[end] != '?' && url.ptr[end] != '#') {
		end++;
	}
	if (end == i) {
		return BYTES_LIT("/");
	}
	return bytes_make(url.ptr + i, end - i);
}

bytes_t url_query_get(bytes_t url, const char *name, int *found) {
	bytes_t want = bytes_cstr(name);
	uint32_t q = 0;
	while (q < url.len && url.ptr[q] != '?') {
		q++;
	}
	*found = 0;
	if (q >= url.len) {
		return bytes_make(NULL, 0);
	}
	bytes_t rest = bytes_make(url.ptr + q + 1, url.len - q - 1);
	bytes_t frag;
	bytes_cut(rest, '#', &rest, &frag);
	for (;;) {
		bytes_t pair, k, v;
		int more = bytes_cut(rest, '&', &pair, &rest);
		bytes_cut(pair, '=', &k, &v);
		if (bytes_eq(k, want)) {
			*found = 1;
			return v;
		}
		if (!more) {
			break;
		}
	}
	return bytes_make(NULL, 0);
}

bytes_t param(const char *header, const char *query, int *found) {
	int ok = 0;
	bytes_t v = bytes_make(NULL, 0);
	if (header != NULL) {
		v = req_header(header, &ok);
	}
	if (!ok && query != NULL) {
		v = url_query_get(req_url(), query, &ok);
		/* query values arrive percent-encoded; headers do not */
		for (uint32_t i = 0; ok && i < v.len; i++) {
			if (v.ptr[i] == '%') {
				uint8_t *buf = (uint8_t *)rt_alloc(v.len);
				int32_t n = buf == NULL ? -1 : percent_decode(v, buf);
				if (n >= 0) {
					v = bytes_make(buf, (uint32_t)n);
				}
				break;
			}
		}
	}
	*found = ok;
	return v;
}

int64_t param_i64(const char *header, const char *query, int64_t def, int *bad) {
	int found;
	bytes_t v = param(header, query, &found);
	if (!found) {
		return def;
	}
	int64_t n;
	if (!parse_i64(v, &n)) {
		*bad = 1;
		return def;
	}
	return n;
}

void resp_status(int32_t status) { host_resp_set_status(status); }

void resp_header(const char *name, bytes_t value) {
	bytes_t n = bytes_cstr(name);
	host_resp_header_set(PTR32(n.ptr), (int32_t)n.len, PTR32(value.ptr), (int32_t)value.len);
}

void resp_header_i64(const char *name, int64_t value) {
	uint8_t tmp[24];
	builder_t b;
	b_init(&b, tmp, sizeof tmp);
	b_i64(&b, value);
	resp_header(name, b_result(&b));
}

void resp_body(bytes_t body) { host_resp_body_set(PTR32(body.ptr), (int32_t)body.len); }

int64_t resp_text(int32_t status, const char *text) {
	resp_status(status);
	resp_header("content-type", BYTES_LIT("text/plain"));
	resp_body(bytes_cstr(text));
	return rt_respond();
}

/* ---------------------------------------------------------------------- */
/* spark                                                                   */
/* ---------------------------------------------------------------------- */

int spark_get_entry(bytes_t key, bytes_t *value, uint32_t *ttl) {
	int ok;
	bytes_t raw = bytes_unpack(host_spark_get(PTR32(key.ptr), (int32_t)key.len), &ok);
	if (!ok) {
		return 0;
	}
	if (raw.len < 4) {
		return -1;
	}
	*ttl = (uint32_t)raw.ptr[0] | (uint32_t)raw.ptr[1] << 8 | (uint32_t)raw.ptr[2] << 16 |
	       (uint32_t)raw.ptr[3] << 24;
	*value = bytes_make(raw.ptr + 4, raw.len - 4);
	return 1;
}

int32_t spark_set(bytes_t key, bytes_t value, int32_t ttl) {
	return host_spark_set(PTR32(key.ptr), (int32_t)key.len, PTR32(value.ptr), (int32_t)value.len, ttl);
}

void spark_delete(bytes_t key) { host_spark_delete(PTR32(key.ptr), (int32_t)key.len); }

bytes_t spark_key(const char *prefix, bytes_t part) {
	uint32_t cap = 256;
	builder_t b;
	b_init(&b, rt_alloc(cap), cap);
	b_str(&b, prefix);
	b_key_part(&b, part, 200);
	return b_result(&b);
}

int64_t now_ms(void) {
	static const char args[] = "{\"format\":\"ms\"}";
	int ok;
	bytes_t v = bytes_unpack(host_timestamp(PTR32(args), (int32_t)(sizeof args - 1)), &ok);
	int64_t n;
	if (!ok || !parse_i64(v, &n)) {
		return 0;
	}
	return n;
}

void log_line(const char *msg) {
	bytes_t m = bytes_cstr(msg);
	host_log_info(PTR32(m.ptr), (int32_t)m.len);
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */
/* ---------------------------------------------------------------------- */

static uint32_t json_ws(bytes_t s, uint32_t i) {
	while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' || s.ptr[i] == '\n' || s.ptr[i] == '\r')) {
		i++;
	}
	return i;
}

/* json_skip_string returns the index after the closing quote of the string
 * starting at s[i] == '"', or 0 when it is unterminated. */
static uint32_t json_skip_string(bytes_t s, uint32_t i) {
	for (i++; i < s.len; i++) {
		if (s.ptr[i] == '\\') {
			i++;
		} else if (s.ptr[i] == '"') {
			return i + 1;
		}
	}
	return 0;
}

/* json_skip_value returns the index after the value starting at s[i], or 0. */
static uint32_t json_skip_value(bytes_t s, uint32_t i) {
	if (i >= s.len) {
		return 0;
	}
	if (s.ptr[i] == '"') {
		return json_skip_string(s, i);
	}
	if (s.ptr[i] == '{' || s.ptr[i] == '[') {
		uint32_t depth = 0;
		while (i < s.len) {
			uint8_t c = s.ptr[i];
			if (c == '"') {
				i = json_skip_string(s, i);
				if (i == 0) {
					return 0;
				}
				continue;
			}
			if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				depth--;
				if (depth == 0) {
					return i + 1;
				}
			}
			i++;
		}
		return 0;
	}
	uint32_t start = i;
	while (i < s.len && s.ptr[i] != ',' && s.ptr[i] != '}' && s.ptr[i] != ']' && s.ptr[i] != ' ' &&
	       s.ptr[i] != '\n' && s.ptr[i] != '\r' && s.ptr[i] != '\t') {
		i++;
	}
	return i == start ? 0 : i;
}

int json_find(bytes_t s, const char *name, bytes_t *raw) {
	bytes_t want = bytes_cstr(name);
	uint32_t i = json_ws(s, 0);
	if (i >= s.len || s.ptr[i] != '{') {
		return 0;
	}
	i = json_ws(s, i + 1);
	while (i < s.len && s.ptr[i] == '"') {
		uint32_t kend = json_skip_string(s, i);
		if (kend == 0) {
			return 0;
		}
		bytes_t key = bytes_make(s.ptr + i + 1, kend - i - 2);
		i = json_ws(s, kend);
		if (i >= s.len || s.ptr[i] != ':') {
			return 0;
		}
		i = json_ws(s, i + 1);
		uint32_t vend = json_skip_value(s, i);
		if (vend == 0) {
			return 0;
		}
		if (bytes_eq(key, want)) {
			*raw = bytes_make(s.ptr + i, vend - i);
			return 1;
		}
		i = json_ws(s, vend);
		if (i < s.len && s.ptr[i] == ',') {
			i = json_ws(s, i + 1);
		}
	}
	return 0;
}

static void put_utf8(uint8_t *out, int32_t *n, uint32_t cp) {
	if (cp < 0x80) {
		out[(*n)++] = (uint8_t)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (uint8_t)(0xc0 | cp >> 6);
		out[(*n)++] = (uint8_t)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (uint8_t)(0xe0 | cp >> 12);
		out[(*n)++] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[(*n)++] = (uint8_t)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (uint8_t)(0xf0 | cp >> 18);
		out[(*n)++] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		out[(*n)++] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[(*n)++] = (uint8_t)(0x80 | (cp & 0x3f));
	}
}

static int hex4(const uint8_t *p, uint32_t *out) {
	uint32_t v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hex_value(p[k]);
		if (h < 0) {
			return 0;
		}
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return 1;
}

int32_t json_unquote(bytes_t raw, uint8_t *out) {
	if (raw.len < 2 || raw.ptr[0] != '"' || raw.ptr[raw.len - 1] != '"') {
		return -1;
	}
	int32_t n = 0;
	uint32_t end = raw.len - 1;
	for (uint32_t i = 1; i < end; i++) {
		uint8_t c = raw.ptr[i];
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (++i >= end) {
			return -1;
		}
		switch (raw.ptr[i]) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			uint32_t cp;
			if (i + 4 >= end || !hex4(raw.ptr + i + 1, &cp)) {
				return -1;
			}
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < end && raw.ptr[i + 1] == '\\' &&
			    raw.ptr[i + 2] == 'u') {
				uint32_t lo;
				if (hex4(raw.ptr + i + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			/* A \uXXXX escape is 6 input bytes and at most 4 output bytes,
			 * so out never outgrows raw.len. */
			put_utf8(out, &n, cp);
			break;
		}
		default:
			return -1;
		}
	}
	return n;
}

int32_t json_count_strings(bytes_t s) {
	uint32_t i = json_ws(s, 0);
	if (i >= s.len || s.ptr[i] != '[') {
		return -1;
	}
	i = json_ws(s, i + 1);
	int32_t n = 0;
	if (i < s.len && s.ptr[i] == ']') {
		return json_ws(s, i + 1) == s.len ? 0 : -1;
	}
	for (;;) {
		if (i >= s.len || s.ptr[i] != '"') {
			return -1;
		}
		i = json_skip_string(s, i);
		if (i == 0) {
			return -1;
		}
		n++;
		i = json_ws(s, i);
		if (i < s.len && s.ptr[i] == ',') {
			i = json_ws(s, i + 1);
			continue;
		}
		if (i < s.len && s.ptr[i] == ']') {
			return json_ws(s, i + 1) == s.len ? n : -1;
		}
		return -1;
	}
}
