package flares

// catalog describes every embedded flare; TestCatalogMatchesEmbedded keeps it
// and wasm/ in step.
var catalog = map[string]Flare{
	"counter": {
		Name:    "counter",
		Summary: "hits counter: one spark_get and one spark_set per request; answers the new count as the body",
		Params: []Param{
			{"header", "x-counter-key", "Spark key to count in (default \"hits\"; query: key)"},
			{"header", "x-ttl", "TTL in seconds of the write (default 0 = no expiry; query: ttl)"},
		},
	},
	"kvops": {
		Name:    "kvops",
		Summary: "generic Spark driver: runs the get/set/del/list/pull lines of the body, answers one line per operation (docs/CONTRACTS.md)",
		Params: []Param{
			{"body", "lines", "one operation per line: get KEY [hash] | set KEY SIZE TTL [SEED] | del KEY | list | pull ORIGIN KEY[,KEY...]; a get answers get hit ttl=TTL len=LEN value=VALUE (hash: get hit TTL LEN FNV)"},
			{"header", "x-kvops-repeat", "run the whole list N times (1..1000000, default 1)"},
		},
	},
	"ratelimit": {
		Name:    "ratelimit",
		Summary: "per-client rate limiter: fixed window or token bucket; 200 or 429 with the remaining budget in x-ratelimit-remaining",
		Params: []Param{
			{"header", "x-client-id", "client identity, one budget per client (default \"anon\"; query: client)"},
			{"header", "x-algo", "\"fixed\" window (default) or \"token\" bucket (query: algo)"},
			{"header", "x-limit", "requests per window, or bucket capacity (default 100; query: limit)"},
			{"header", "x-window-secs", "window length in seconds, 1..2591999 (default 1; query: window)"},
			{"header", "x-refill-per-sec", "token bucket refill in tokens per second (default limit/window; query: refill)"},
			{"header", "x-now-ms", "clock override in unix milliseconds for reproducible runs (default: host timestamp; query: now_ms)"},
		},
	},
	"cache": {
		Name:    "cache",
		Summary: "response cache keyed by path: beam_fetch on a miss, stored with a TTL; answers x-cache: HIT|MISS",
		Params: []Param{
			{"header", "x-cache-ttl", "TTL in seconds of a stored response (default 60; query: cache_ttl)"},
			{"header", "x-origin", "origin base URL the path and query are appended to (default: fetch the request URL; query: origin)"},
			{"header", "x-cache-key", "cache key instead of the request path (query: cache_key)"},
		},
	},
	"session": {
		Name:    "session",
		Summary: "sliding-TTL session blobs: a hit rewrites the blob with the full TTL, a miss creates one; answers x-session: HIT|NEW",
		Params: []Param{
			{"header", "x-session-id", "session id (default: a new ULID, answered in x-session-id; query: sid)"},
			{"header", "x-session-ttl", "sliding TTL in seconds (default 1800; query: ttl)"},
			{"header", "x-session-size", "bytes of a new session blob, 0..1048576 (default 512; query: size)"},
		},
	},
	"migrate": {
		Name:    "migrate",
		Summary: "reads a key; on a miss pulls it with spark_pull from the node named in x-origin-node, then reads again; answers x-migrate: LOCAL|PULLED|MISS|PULL-FAILED",
		Params: []Param{
			{"header", "x-origin-node", "node to pull from on a miss (query: origin)"},
			{"header", "x-session-id", "session id: the key is sess:ID, as written by the session flare (query: sid)"},
			{"header", "x-key", "explicit Spark key instead of the session key (query: key)"},
		},
	},
}
