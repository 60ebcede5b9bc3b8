package flares

// catalog describes every embedded flare; TestCatalogMatchesEmbedded keeps it
// and wasm/ in step.
var catalog = map[string]Flare{
	"counter": {
		Name:    "counter",
		Summary: "hits counter: one spark_get and one spark_set per request; answers the new count",
		Params: []Param{
			{"header", "x-counter-key", "Spark key to count in (default \"hits\"; query: key)"},
			{"header", "x-ttl", "TTL in seconds of the write (default 0 = no expiry; query: ttl)"},
		},
	},
	"kvops": {
		Name:    "kvops",
		Summary: "generic Spark driver: runs the get/set/del/list/pull lines of the body, answers one line per operation (docs/CONTRACTS.md)",
		Params: []Param{
			{"body", "lines", "one operation per line: get KEY | set KEY SIZE TTL [SEED] | del KEY | list | pull ORIGIN KEY[,KEY...]"},
			{"header", "x-kvops-repeat", "run the whole list N times (1..1000000, default 1)"},
		},
	},
}
