package host

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"
)

// kvValue is the value kvops writes for "set KEY SIZE TTL SEED".
func kvValue(size, seed int) []byte {
	v := make([]byte, size)
	for j := range v {
		v[j] = byte('a' + (seed+j)%26)
	}
	return v
}

func fnvHex(b []byte) string {
	h := fnv.New32a()
	h.Write(b)
	return fmt.Sprintf("%08x", h.Sum32())
}

// hit is the kvops line for a get hit of kvValue(size, seed) with ttl.
func hit(ttl uint32, size, seed int) string {
	return kvopsHit(int64(ttl), kvValue(size, seed))
}

// listLine is the kvops line for a list returning keys (sorted).
func listLine(keys ...string) string {
	return fmt.Sprintf("list %d %s", len(keys), fnvHex(appendKeysJSON(nil, keys)))
}

type step struct {
	node, site string // default edge-a, shop.example
	in, want   string // kvops request lines and expected response lines
	advance    time.Duration
}

func runSteps(t *testing.T, e *env, steps []step) {
	t.Helper()
	for i, s := range steps {
		if s.advance != 0 {
			e.clock.Advance(s.advance)
		}
		if s.in == "" {
			continue
		}
		node, site := s.node, s.site
		if node == "" {
			node = "edge-a"
		}
		if site == "" {
			site = "shop.example"
		}
		got := strings.Join(e.kvops(node, site, s.in), "\n")
		if got != s.want {
			t.Fatalf("step %d on %s/%s:\n%s\ngot:\n%s\nwant:\n%s", i, node, site, s.in, got, s.want)
		}
	}
}

func lines(l ...string) string { return strings.Join(l, "\n") }

func TestSparkFromGuest(t *testing.T) {
	long := strings.Repeat("k", 256)
	tests := []struct {
		name  string
		opt   func(*envOptions)
		steps []step
	}{
		{name: "ttl prefix rounds remaining time up to whole seconds", steps: []step{
			{in: lines("set k 10 30 3", "get k"), want: lines("set 0", hit(30, 10, 3))},
			{advance: 100 * time.Millisecond, in: "get k", want: hit(30, 10, 3)},
			{advance: 28900 * time.Millisecond, in: "get k", want: hit(1, 10, 3)},
			{advance: 999 * time.Millisecond, in: "get k", want: hit(1, 10, 3)},
			{advance: time.Millisecond, in: "get k", want: "get miss"},
		}},
		{name: "ttl 0 never expires and reports 0", steps: []step{
			{in: lines("set k 5 0", "get k"), want: lines("set 0", hit(0, 5, 0))},
			{advance: 400 * 24 * time.Hour, in: "get k", want: hit(0, 5, 0)},
		}},
		{name: "empty value is allowed", steps: []step{
			{in: lines("set k 0 0", "get k"), want: lines("set 0", hit(0, 0, 0))},
		}},
		{name: "key rules on set and get", steps: []step{
			{in: lines("set ~ 1 0", "set a%20b 1 0", "set __flaron:x 1 0", "set __sys:x 1 0", "set "+long+"k 1 0", "set "+long+" 1 0",
				"set a:Z.0_-9 1 0", "get __sys:x", "get ~", "get "+long),
				want: lines("set 8", "set 8", "set 8", "set 8", "set 8", "set 0", "set 0", "get miss", "get miss", hit(0, 1, 0))},
			{in: "set __flaron 1 0", want: "set 0"},
		}},
		{name: "ttl and size limits", steps: []step{
			{in: lines("set k 1 -1", "set k 1 2592000", "set k 1 2592001", "set k 1 -2147483648", "set k 65536 0", "set k 65537 0"),
				want: lines("set 1", "set 0", "set 1", "set 1", "set 0", "set 2")},
		}},
		{name: "order of checks: capability, key, ttl, size, write limit, quota", opt: func(o *envOptions) {
			o.limits.MaxWritesPerInvocation = 1
			o.quota = 100
		}, steps: []step{
			{site: "readonly.example", in: "set ~ 70000 -1", want: "set 9"},
			{in: "set ~ 70000 -1", want: "set 8"},
			{in: "set k 70000 -1", want: "set 1"},
			{in: lines("set k 10 0", "set k 70000 0", "set k 1 0"), want: lines("set 0", "set 2", "set 3")},
			{in: lines("set q 200 0", "set q 1 0"), want: lines("set 4", "set 3")},
		}},
		{name: "write limit counts sets and deletes and resets per invocation", opt: func(o *envOptions) {
			o.limits.MaxWritesPerInvocation = 3
		}, steps: []step{
			{in: lines("set a 1 0", "del b", "set c 1 0", "set d 1 0", "del a", "get a"),
				want: lines("set 0", "del", "set 0", "set 3", "del", hit(0, 1, 0))},
			{in: lines("del a", "get a", "set e 1 0", "set f 1 0", "set g 1 0"), want: lines("del", "get miss", "set 0", "set 0", "set 3")},
		}},
		{name: "invalid-key delete still counts as a write", opt: func(o *envOptions) {
			o.limits.MaxWritesPerInvocation = 1
		}, steps: []step{
			{in: lines("del ~", "set a 1 0"), want: lines("del", "set 3")},
		}},
		{name: "read limit: get and list count, then miss and none, reset per invocation", opt: func(o *envOptions) {
			o.limits.MaxReadsPerInvocation = 2
		}, steps: []step{
			{in: lines("set a 1 0", "get a", "list", "get a", "list"), want: lines("set 0", hit(0, 1, 0), listLine("a"), "get miss", "list none")},
			{in: lines("get a", "get a", "get a"), want: lines(hit(0, 1, 0), hit(0, 1, 0), "get miss")},
		}},
		{name: "capability gate", steps: []step{
			{node: "edge-b", site: "readonly.example", in: lines("set a 1 0", "del a", "pull edge-a a", "get a", "list"),
				want: lines("set 9", "del", "pull -9", "get miss", listLine())},
		}},
		{name: "delete without capability changes nothing", steps: []step{
			{in: "set a 1 0", want: "set 0"},
			{site: "readonly.example", in: "del a", want: "del"},
			{in: "get a", want: hit(0, 1, 0)},
		}},
		{name: "quota counts key plus value and overwrites by difference", opt: func(o *envOptions) {
			o.quota = 100
		}, steps: []step{
			{in: lines("set a 90 0", "set b 10 0", "set a 95 0", "set c 3 0", "set d 0 0", "set a 94 0", "set d 0 0"),
				want: lines("set 0", "set 4", "set 0", "set 0", "set 4", "set 0", "set 0")},
			{in: "list", want: listLine("a", "c", "d")},
		}},
		{name: "expired entries do not hold quota hostage", opt: func(o *envOptions) {
			o.quota = 100
		}, steps: []step{
			{in: lines("set a 90 5", "set b 50 0"), want: lines("set 0", "set 4")},
			{advance: 5 * time.Second, in: lines("set b 50 0", "list"), want: lines("set 0", listLine("b"))},
		}},
		{name: "sites and nodes are isolated", steps: []step{
			{in: "set k 3 0 1", want: "set 0"},
			{site: "blog.example", in: lines("get k", "list"), want: lines("get miss", listLine())},
			{node: "edge-b", in: lines("get k", "list"), want: lines("get miss", listLine())},
			{in: lines("get k", "list"), want: lines(hit(0, 3, 1), listLine("k"))},
		}},
		{name: "delete removes and is silent when absent", steps: []step{
			{in: lines("set k 1 0", "del k", "get k", "del k", "list"), want: lines("set 0", "del", "get miss", "del", listLine())},
		}},
		{name: "list is sorted live keys", steps: []step{
			{in: lines("set b 1 0", "set a 1 0", "set c 1 2", "list"), want: lines("set 0", "set 0", "set 0", listLine("a", "b", "c"))},
			{advance: 2 * time.Second, in: "list", want: listLine("a", "b")},
		}},
		{name: "spark disabled on the node", steps: []step{
			{node: "edge-off", in: lines("get k", "set k 1 0", "del k", "list", "pull edge-a k"),
				want: lines("get miss", "set 5", "del", "list none", "pull -5")},
		}},
		{name: "pull keeps remaining ttl, skips missing and expired, counts written", steps: []step{
			{node: "edge-b", in: lines("set k1 4 60 1", "set k2 5 0 2", "set k3 6 3 3"), want: lines("set 0", "set 0", "set 0")},
			{advance: 10 * time.Second, in: lines("pull edge-b k1,k2,k3,nope", "get k1", "get k2", "get k3", "list"),
				want: lines("pull 2", hit(50, 4, 1), hit(0, 5, 2), "get miss", listLine("k1", "k2"))},
			{advance: 50 * time.Second, in: "get k1", want: "get miss"},
			{node: "edge-b", site: "blog.example", in: "get k1", want: "get miss"},
		}},
		{name: "pull: second pull in one invocation is refused, reset next time", steps: []step{
			{node: "edge-b", in: "set k 1 0", want: "set 0"},
			{in: lines("pull edge-b k", "pull edge-b k"), want: lines("pull 1", "pull -3")},
			{in: "pull edge-b k", want: "pull 1"},
		}},
		{name: "pull: bad origin, unknown node, bad keys, too many keys", steps: []step{
			{in: lines("pull nowhere k"), want: "pull -8"},
			{in: lines("pull a%20b k"), want: "pull -8"},
			{in: lines("pull edge-b k,__sys:x"), want: "pull -8"},
			{in: lines("pull edge-b k,a%2Fb"), want: "pull -8"},
			{in: lines("pull edge-b " + strings.TrimSuffix(strings.Repeat("k,", 101), ",")), want: "pull -8"},
			{in: lines("pull edge-b " + strings.TrimSuffix(strings.Repeat("k,", 100), ",")), want: "pull 0"},
			{in: lines("pull edge-b []"), want: "pull 0"},
		}},
		{name: "pull: spark disabled at origin or locally", steps: []step{
			{in: "pull edge-off k", want: "pull -5"},
			{node: "edge-off", in: "pull edge-a k", want: "pull -5"},
		}},
		{name: "pull: keys that do not fit the local quota are skipped", opt: func(o *envOptions) {
			o.quota = 100
		}, steps: []step{
			{node: "edge-b", in: lines("set a 50 0", "set b 30 0", "set c 10 0"), want: lines("set 0", "set 0", "set 0")},
			{in: lines("set x 50 0", "pull edge-b a,b,c", "list"), want: lines("set 0", "pull 2", listLine("b", "c", "x"))},
		}},
		{name: "pull: the site's own keys only", steps: []step{
			{node: "edge-b", site: "blog.example", in: "set k 1 0", want: "set 0"},
			{in: "pull edge-b k", want: "pull 0"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := defaultEnvOptions()
			if tc.opt != nil {
				tc.opt(&o)
			}
			runSteps(t, newEnv(t, o), tc.steps)
		})
	}
}

// TestSparkObserver checks that every spark call is timed with its outcome
// and every limit decision is recorded, allowed and refused.
func TestSparkObserver(t *testing.T) {
	o := defaultEnvOptions()
	o.limits.MaxWritesPerInvocation = 2
	o.limits.MaxReadsPerInvocation = 2
	e := newEnv(t, o)
	rec := newRecorder()
	_, err := e.h.Invoke(context.Background(), e.flare("kvops"), &Request{
		Node: "edge-a", Site: "shop.example", Method: "POST", URL: "https://shop.example/",
		Body:     []byte(lines("set a 1 0", "set b 1 -1", "set c 70000 0", "set d 1 0", "set e 1 0", "get a", "get zz", "get a", "list", "del a", "pull edge-b a", "pull edge-b a")),
		Observer: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := map[Op]map[int32]int{
		OpSparkSet:    {0: 2, 1: 1, 2: 1, 3: 1},
		OpSparkGet:    {0: 1, CodeMiss: 1, 7: 1},
		OpSparkList:   {7: 1},
		OpSparkDelete: {3: 1},
		OpSparkPull:   {0: 1, 3: 1},
		OpInvocation:  {0: 1},
	}
	for op, want := range wantCalls {
		for code, n := range want {
			if got := rec.calls[op][code]; got != n {
				t.Errorf("%v code %d: %d calls, want %d (all: %v)", op, code, got, n, rec.calls[op])
			}
		}
	}
	wantAllowed := map[Limit]int{LimitCapability: 8, LimitTTL: 4, LimitValueBytes: 3, LimitWrites: 2, LimitQuota: 2, LimitReads: 2, LimitPulls: 1, LimitPullKeys: 1, LimitTimeout: 1}
	wantRefused := map[Limit]int{LimitTTL: 1, LimitValueBytes: 1, LimitWrites: 2, LimitReads: 2, LimitPulls: 1}
	for l := Limit(0); l < numLimits; l++ {
		if rec.allowed[l] != wantAllowed[l] || rec.refused[l] != wantRefused[l] {
			t.Errorf("%v: allowed %d refused %d, want %d and %d", l, rec.allowed[l], rec.refused[l], wantAllowed[l], wantRefused[l])
		}
	}
}
