package flares

import (
	"fmt"
	"strings"
	"testing"
)

// These tests run the flares on the minimal test host of guesthost_test.go;
// they pin the guest's logic and its parameters. The real host's tests run
// the same flares end to end.

func TestCounter(t *testing.T) {
	g := newGuestHost(t)
	r := startGuest(t, g, flareWasm(t, "counter"))
	for i := 1; i <= 3; i++ {
		r.mustInvoke(t)
		if g.status != 200 || string(g.respBody) != fmt.Sprint(i) {
			t.Fatalf("hit %d: status %d body %q", i, g.status, g.respBody)
		}
	}
	if e := g.spark["hits"]; string(e.value) != "3" || e.ttl != 0 {
		t.Errorf("stored %q ttl %d, want \"3\" ttl 0", e.value, e.ttl)
	}

	g.headers["x-counter-key"] = "c:7"
	g.headers["x-ttl"] = "30"
	r.mustInvoke(t)
	if e := g.spark["c:7"]; string(e.value) != "1" || e.ttl != 30 {
		t.Errorf("x-counter-key/x-ttl: stored %q ttl %d", e.value, e.ttl)
	}

	g.headers = map[string]string{}
	g.url = "https://shop.example/count?ttl=5&key=q%3Ax"
	r.mustInvoke(t)
	if e := g.spark["q:x"]; string(e.value) != "1" || e.ttl != 5 {
		t.Errorf("query params (percent-decoded): stored %v", g.spark)
	}

	g.headers["x-ttl"] = "soon"
	r.mustInvoke(t)
	if g.status != 400 {
		t.Errorf("bad x-ttl: status %d, want 400", g.status)
	}

	delete(g.headers, "x-ttl")
	g.maxWrites = g.writes
	r.mustInvoke(t)
	if g.status != 503 || g.respHeaders["x-spark-code"] != "3" {
		t.Errorf("refused write: status %d x-spark-code %q, want 503 and 3", g.status, g.respHeaders["x-spark-code"])
	}
}

func TestRatelimitFixedWindow(t *testing.T) {
	g := newGuestHost(t)
	r := startGuest(t, g, flareWasm(t, "ratelimit"))
	g.headers = map[string]string{"x-client-id": "c1", "x-limit": "3", "x-window-secs": "10", "x-now-ms": "1000000"}
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "2"}, {200, "1"}, {200, "0"}, {429, "0"}, {429, "0"}} {
		r.mustInvoke(t)
		if g.status != want.status || g.respHeaders["x-ratelimit-remaining"] != want.remaining {
			t.Fatalf("request %d: status %d remaining %q, want %d %s", i+1, g.status, g.respHeaders["x-ratelimit-remaining"], want.status, want.remaining)
		}
		if g.respHeaders["x-ratelimit-reset"] != "10" || g.respHeaders["x-ratelimit-limit"] != "3" {
			t.Fatalf("request %d: headers %v", i+1, g.respHeaders)
		}
	}
	if e, ok := g.spark["rl:fw:c1:100"]; !ok || string(e.value) != "3" || e.ttl != 11 {
		t.Errorf("window key: %q ttl %d ok %v, want \"3\" ttl 11", e.value, e.ttl, ok)
	}
	if g.writes != 3 {
		t.Errorf("%d writes, want 3 (a limited request writes nothing)", g.writes)
	}

	g.headers["x-client-id"] = "c2"
	r.mustInvoke(t)
	if g.status != 200 {
		t.Errorf("another client is limited by c1's budget")
	}

	g.headers["x-client-id"] = "c1"
	g.headers["x-now-ms"] = "1009999"
	r.mustInvoke(t)
	if g.status != 429 || g.respHeaders["x-ratelimit-reset"] != "1" {
		t.Errorf("end of window: status %d reset %q, want 429 and 1", g.status, g.respHeaders["x-ratelimit-reset"])
	}
	g.headers["x-now-ms"] = "1010000"
	r.mustInvoke(t)
	if g.status != 200 || g.respHeaders["x-ratelimit-remaining"] != "2" {
		t.Errorf("next window: status %d remaining %q, want 200 and 2", g.status, g.respHeaders["x-ratelimit-remaining"])
	}

	g.headers["x-client-id"] = "a b/é"
	r.mustInvoke(t)
	found := false
	for k := range g.spark {
		if strings.HasPrefix(k, "rl:fw:a_b___.") && strings.HasSuffix(k, ":101") {
			found = validSparkKey([]byte(k))
		}
	}
	if !found {
		t.Errorf("a client id with bytes outside the key alphabet did not map to a valid key: %v", g.spark)
	}
}

func TestRatelimitTokenBucket(t *testing.T) {
	g := newGuestHost(t)
	r := startGuest(t, g, flareWasm(t, "ratelimit"))
	g.headers = map[string]string{"x-client-id": "c", "x-algo": "token", "x-limit": "2", "x-refill-per-sec": "1"}
	steps := []struct {
		now       int64
		status    int
		remaining string
	}{
		{5000, 200, "1"},
		{5000, 200, "0"},
		{5000, 429, "0"},
		{5999, 429, "0"},
		{6000, 200, "0"},
		{60000, 200, "1"}, // refilled to capacity, not beyond
		{60000, 200, "0"},
		{60000, 429, "0"},
	}
	for i, s := range steps {
		g.headers["x-now-ms"] = fmt.Sprint(s.now)
		r.mustInvoke(t)
		if g.status != s.status || g.respHeaders["x-ratelimit-remaining"] != s.remaining {
			t.Fatalf("step %d (now %d): status %d remaining %q, want %d %s", i, s.now, g.status, g.respHeaders["x-ratelimit-remaining"], s.status, s.remaining)
		}
	}
	e := g.spark["rl:tb:c"]
	if string(e.value) != "0 60000" || e.ttl != 3 {
		t.Errorf("bucket state %q ttl %d, want \"0 60000\" ttl 3 (2 s to refill + 1)", e.value, e.ttl)
	}

	// default refill: limit per window
	g2 := newGuestHost(t)
	r2 := startGuest(t, g2, flareWasm(t, "ratelimit"))
	g2.headers = map[string]string{"x-algo": "token", "x-limit": "10", "x-window-secs": "10"}
	r2.mustInvoke(t) // uses the host clock
	if g2.status != 200 || g2.respHeaders["x-ratelimit-remaining"] != "9" {
		t.Errorf("host clock: status %d remaining %q", g2.status, g2.respHeaders["x-ratelimit-remaining"])
	}
	if e := g2.spark["rl:tb:anon"]; string(e.value) != fmt.Sprintf("9000000 %d", g2.nowMs) {
		t.Errorf("state %q: want 9 tokens at the host's time", e.value)
	}
}

func TestRatelimitBadParams(t *testing.T) {
	for _, h := range []map[string]string{
		{"x-limit": "0"}, {"x-limit": "x"}, {"x-window-secs": "0"}, {"x-window-secs": "2592000"}, {"x-algo": "leaky"}, {"x-now-ms": "-5"}, {"x-now-ms": "1000000000000001"}, {"x-algo": "token", "x-refill-per-sec": "-2"},
	} {
		g := newGuestHost(t)
		g.headers = h
		r := startGuest(t, g, flareWasm(t, "ratelimit"))
		r.mustInvoke(t)
		if g.status != 400 {
			t.Errorf("%v: status %d, want 400", h, g.status)
		}
	}
}

func TestCache(t *testing.T) {
	g := newGuestHost(t)
	r := startGuest(t, g, flareWasm(t, "cache"))
	g.beamResponse = `{"status":200,"headers":{"content-type":"text/plain"},"body":"hello\n\"x\" \u00e9\/"}`
	wantBody := "hello\n\"x\" é/"

	r.mustInvoke(t)
	if g.status != 200 || g.respHeaders["x-cache"] != "MISS" || g.respHeaders["x-cache-store"] != "0" || string(g.respBody) != wantBody {
		t.Fatalf("miss: status %d headers %v body %q", g.status, g.respHeaders, g.respBody)
	}
	if len(g.beamURLs) != 1 || g.beamURLs[0] != g.url {
		t.Errorf("fetched %v, want the request URL", g.beamURLs)
	}
	key := "cache:_api_items." + fnvHex([]byte("/api/items"))
	if e, ok := g.spark[key]; !ok || e.ttl != 60 || string(e.value) != "200\n"+wantBody {
		t.Errorf("stored %v, want %s = \"200\\n\" + body with TTL 60", g.spark, key)
	}

	r.mustInvoke(t)
	if g.status != 200 || g.respHeaders["x-cache"] != "HIT" || g.respHeaders["x-cache-ttl"] != "60" || string(g.respBody) != wantBody {
		t.Fatalf("hit: status %d headers %v body %q", g.status, g.respHeaders, g.respBody)
	}
	if len(g.beamURLs) != 1 {
		t.Errorf("a hit fetched the origin")
	}

	// origin base URL, TTL, and a non-200 answer that is not stored
	g.headers = map[string]string{"x-origin": "https://origin.example/", "x-cache-ttl": "5"}
	g.url = "https://shop.example/other?q=1"
	g.beamResponse = `{"status":404,"headers":{},"body":"nope"}`
	r.mustInvoke(t)
	r.mustInvoke(t)
	if g.status != 404 || g.respHeaders["x-cache"] != "MISS" || string(g.respBody) != "nope" {
		t.Errorf("404: status %d headers %v body %q", g.status, g.respHeaders, g.respBody)
	}
	if got := g.beamURLs[len(g.beamURLs)-1]; got != "https://origin.example/other?q=1" {
		t.Errorf("fetched %q", got)
	}

	// too large to store: answered, not stored
	g.beamResponse = `{"status":200,"body":"` + strings.Repeat("z", 70000) + `"}`
	g.url = "https://shop.example/big"
	r.mustInvoke(t)
	if g.status != 200 || g.respHeaders["x-cache-store"] != "2" || len(g.respBody) != 70000 {
		t.Errorf("big: status %d store %q len %d", g.status, g.respHeaders["x-cache-store"], len(g.respBody))
	}

	g.beamResponse = ""
	g.url = "https://shop.example/down"
	r.mustInvoke(t)
	if g.status != 502 {
		t.Errorf("unreachable origin: status %d, want 502", g.status)
	}
	for k := range g.spark {
		if !validSparkKey([]byte(k)) {
			t.Errorf("invalid key %q", k)
		}
	}
}

func TestSession(t *testing.T) {
	g := newGuestHost(t)
	r := startGuest(t, g, flareWasm(t, "session"))

	r.mustInvoke(t)
	if g.respHeaders["x-session"] != "NEW" || g.respHeaders["x-session-id"] != "01ARZ3NDEKTSV4RRFFQ69G5FAV" || g.respHeaders["x-session-bytes"] != "512" {
		t.Fatalf("no id: headers %v", g.respHeaders)
	}
	if e := g.spark["sess:01ARZ3NDEKTSV4RRFFQ69G5FAV"]; len(e.value) != 512 || e.ttl != 1800 {
		t.Errorf("new blob %d bytes ttl %d", len(e.value), e.ttl)
	}

	g.headers = map[string]string{"x-session-id": "abc", "x-session-size": "100", "x-session-ttl": "60"}
	r.mustInvoke(t)
	if g.respHeaders["x-session"] != "NEW" || string(g.respBody) != "new 100\n" {
		t.Fatalf("create: headers %v body %q", g.respHeaders, g.respBody)
	}
	g.spark["sess:abc"] = sparkEntry{g.spark["sess:abc"].value, 7} // time passed
	r.mustInvoke(t)
	if g.respHeaders["x-session"] != "HIT" || g.respHeaders["x-session-ttl-left"] != "7" || string(g.respBody) != "hit 100\n" {
		t.Fatalf("hit: headers %v body %q", g.respHeaders, g.respBody)
	}
	if e := g.spark["sess:abc"]; e.ttl != 60 || len(e.value) != 100 {
		t.Errorf("sliding TTL: ttl %d len %d after a hit, want 60 and 100", e.ttl, len(e.value))
	}

	g.headers["x-session-size"] = "2000000"
	r.mustInvoke(t)
	if g.status != 400 {
		t.Errorf("oversized x-session-size: status %d", g.status)
	}
}

func TestMigrate(t *testing.T) {
	g := newGuestHost(t)
	r := startGuest(t, g, flareWasm(t, "migrate"))

	g.headers = map[string]string{"x-session-id": "s1"}
	r.mustInvoke(t)
	if g.status != 404 || g.respHeaders["x-migrate"] != "MISS" || len(g.pulls) != 0 {
		t.Fatalf("no origin: status %d headers %v pulls %v", g.status, g.respHeaders, g.pulls)
	}

	g.headers["x-origin-node"] = "edge-ams"
	g.pullRC = 1
	g.pulled = map[string]sparkEntry{"sess:s1": {[]byte("blob"), 42}}
	r.mustInvoke(t)
	if g.status != 200 || g.respHeaders["x-migrate"] != "PULLED" || g.respHeaders["x-ttl"] != "42" || g.respHeaders["x-pull-rc"] != "1" {
		t.Fatalf("pull: status %d headers %v", g.status, g.respHeaders)
	}
	if want := (pullCall{"edge-ams", `["sess:s1"]`}); len(g.pulls) != 1 || g.pulls[0] != want {
		t.Errorf("pulls %v, want %v", g.pulls, want)
	}

	g.pulled = nil
	r.mustInvoke(t)
	if g.respHeaders["x-migrate"] != "LOCAL" || len(g.pulls) != 1 {
		t.Errorf("second read: headers %v pulls %d", g.respHeaders, len(g.pulls))
	}

	g.headers = map[string]string{"x-key": "k9", "x-origin-node": "nowhere"}
	g.pullRC = -8
	r.mustInvoke(t)
	if g.status != 502 || g.respHeaders["x-migrate"] != "PULL-FAILED" || g.respHeaders["x-pull-rc"] != "-8" {
		t.Errorf("failed pull: status %d headers %v", g.status, g.respHeaders)
	}
	g.pullRC = 0
	r.mustInvoke(t)
	if g.status != 404 || g.respHeaders["x-migrate"] != "MISS" || g.respHeaders["x-pull-rc"] != "0" {
		t.Errorf("nothing pulled: status %d headers %v", g.status, g.respHeaders)
	}
}

// TestHostCallBudget pins how many host calls each flare makes on its
// common path: the flares are the load, so a stray call is a regression in
// every benchmark that uses them.
func TestHostCallBudget(t *testing.T) {
	for _, c := range []struct {
		flare   string
		body    string
		headers map[string]string
		calls   []string
	}{
		// absent parameters: two header lookups, one (cached) URL fetch
		{"counter", "", nil, []string{"req_header_get", "req_url", "req_header_get", "spark_get", "spark_set", "resp_body_set"}},
		{"kvops", "get k\nset k 100 0", nil, []string{"req_header_get", "req_body", "spark_get", "spark_set", "resp_set_status", "resp_body_set"}},
		{"migrate", "", map[string]string{"x-key": "k"}, []string{"req_header_get", "spark_get", "resp_set_status", "resp_header_set", "resp_header_set", "resp_body_set"}},
		{"ratelimit", "", map[string]string{"x-client-id": "c", "x-limit": "9", "x-window-secs": "60", "x-now-ms": "5"}, []string{
			"req_header_get", "req_header_get", "req_url", "req_header_get", "req_header_get", "req_header_get",
			"spark_get", "spark_set", "resp_set_status", "resp_header_set", "resp_header_set", "resp_header_set", "resp_body_set"}},
		{"ratelimit", "", map[string]string{"x-algo": "token", "x-client-id": "c", "x-limit": "9", "x-now-ms": "5"}, []string{
			"req_header_get", "req_header_get", "req_header_get", "req_header_get", "req_url", "req_header_get", "req_header_get",
			"spark_get", "spark_set", "resp_set_status", "resp_header_set", "resp_header_set", "resp_header_set", "resp_body_set"}},
	} {
		t.Run(c.flare, func(t *testing.T) {
			g := newGuestHost(t)
			g.body = []byte(c.body)
			g.spark["k"] = sparkEntry{[]byte("v"), 0}
			g.spark["hits"] = sparkEntry{[]byte("7"), 0}
			for k, v := range c.headers {
				g.headers[k] = v
			}
			r := startGuest(t, g, flareWasm(t, c.flare))
			g.trace = true
			r.mustInvoke(t)
			if fmt.Sprint(g.traced) != fmt.Sprint(c.calls) {
				t.Errorf("host calls %v, want %v", g.traced, c.calls)
			}
		})
	}
}
