package host

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

// The reference model: Spark semantics per the Spark contract
// (docs/ARCHITECTURE.md), written
// independently of the host and the store, to replay random operation
// sequences through builtin:kvops and compare every response line.

type modelEntry struct {
	value []byte
	exp   int64 // unix ns; 0 = no expiry
}

type model struct {
	now      int64
	limits   Limits
	quota    int64
	maxValue int
	maxTTL   int64
	disabled map[string]bool
	cap      map[string]bool
	data     map[[2]string]map[string]modelEntry // (node, site) -> key -> entry
}

func (m *model) live(e modelEntry) bool { return e.exp == 0 || e.exp > m.now }

func (m *model) space(node, site string) map[string]modelEntry {
	k := [2]string{node, site}
	if m.data[k] == nil {
		m.data[k] = map[string]modelEntry{}
	}
	return m.data[k]
}

func modelValidKey(k string) bool {
	if len(k) < 1 || len(k) > 256 || strings.HasPrefix(k, "__flaron:") || strings.HasPrefix(k, "__sys:") {
		return false
	}
	for _, c := range []byte(k) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":._-", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// fits reports whether writing key with a value of size bytes keeps the
// site within quota, counting live entries other than key.
func (m *model) fits(sp map[string]modelEntry, key string, size int) bool {
	used := int64(len(key) + size)
	for k, e := range sp {
		if k != key && m.live(e) {
			used += int64(len(k) + len(e.value))
		}
	}
	return used <= m.quota
}

type modelInvocation struct {
	reads, writes, pulls int
}

type modelOp struct {
	kind   string // get set del list pull
	key    string
	size   int
	ttl    int64
	seed   int
	origin string
	keys   []string
}

func pctEncode(s string) string {
	if s == "" {
		return "~"
	}
	var b strings.Builder
	for _, c := range []byte(s) {
		if c == ' ' || c == '%' || c == ',' || c == '~' || c < 0x21 || c > 0x7e {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (op modelOp) line() string {
	switch op.kind {
	case "get", "del":
		return op.kind + " " + pctEncode(op.key)
	case "set":
		return fmt.Sprintf("set %s %d %d %d", pctEncode(op.key), op.size, op.ttl, op.seed)
	case "list":
		return "list"
	default:
		if len(op.keys) == 0 {
			return "pull " + pctEncode(op.origin) + " []"
		}
		enc := make([]string, len(op.keys))
		for i, k := range op.keys {
			enc[i] = pctEncode(k)
		}
		return "pull " + pctEncode(op.origin) + " " + strings.Join(enc, ",")
	}
}

func (m *model) apply(node, site string, inv *modelInvocation, op modelOp) string {
	off := m.disabled[node]
	switch op.kind {
	case "get":
		if off || inv.reads >= m.limits.MaxReadsPerInvocation {
			return "get miss"
		}
		inv.reads++
		e, ok := m.space(node, site)[op.key]
		if !modelValidKey(op.key) || !ok || !m.live(e) {
			return "get miss"
		}
		var ttl int64
		if e.exp != 0 {
			ttl = (e.exp - m.now + int64(time.Second) - 1) / int64(time.Second)
		}
		return kvopsHit(ttl, e.value)
	case "set":
		code := m.set(node, site, inv, op)
		return fmt.Sprintf("set %d", code)
	case "del":
		if off || !m.cap[site] || inv.writes >= m.limits.MaxWritesPerInvocation {
			return "del"
		}
		inv.writes++
		if modelValidKey(op.key) {
			delete(m.space(node, site), op.key)
		}
		return "del"
	case "list":
		if off || inv.reads >= m.limits.MaxReadsPerInvocation {
			return "list none"
		}
		inv.reads++
		var keys []string
		for k, e := range m.space(node, site) {
			if m.live(e) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		return listLine(keys...)
	default:
		return fmt.Sprintf("pull %d", m.pull(node, site, inv, op))
	}
}

func (m *model) set(node, site string, inv *modelInvocation, op modelOp) int {
	switch {
	case m.disabled[node]:
		return 5
	case !m.cap[site]:
		return 9
	case !modelValidKey(op.key):
		return 8
	case op.ttl < 0 || op.ttl > m.maxTTL:
		return 1
	case op.size > m.maxValue:
		return 2
	case inv.writes >= m.limits.MaxWritesPerInvocation:
		return 3
	}
	inv.writes++
	sp := m.space(node, site)
	if !m.fits(sp, op.key, op.size) {
		return 4
	}
	var exp int64
	if op.ttl > 0 {
		exp = m.now + op.ttl*int64(time.Second)
	}
	sp[op.key] = modelEntry{value: kvValue(op.size, op.seed), exp: exp}
	return 0
}

func (m *model) pull(node, site string, inv *modelInvocation, op modelOp) int {
	if !m.cap[site] {
		return -9
	}
	if inv.pulls >= m.limits.MaxPullsPerInvocation {
		return -3
	}
	inv.pulls++
	if !modelValidKey(op.origin) || len(op.keys) > m.limits.MaxPullKeys {
		return -8
	}
	for _, k := range op.keys {
		if !modelValidKey(k) {
			return -8
		}
	}
	if _, known := m.disabled[op.origin]; !known {
		return -8
	}
	if m.disabled[node] || m.disabled[op.origin] {
		return -5
	}
	src, dst := m.space(op.origin, site), m.space(node, site)
	n := 0
	for _, k := range op.keys {
		e, ok := src[k]
		if !ok || !m.live(e) || !m.fits(dst, k, len(e.value)) {
			continue
		}
		dst[k] = modelEntry{value: append([]byte(nil), e.value...), exp: e.exp}
		n++
	}
	return n
}

func randomOp(r *rand.Rand, keys []string, nodes []string) modelOp {
	key := func() string { return keys[r.Intn(len(keys))] }
	switch x := r.Intn(100); {
	case x < 35:
		return modelOp{kind: "get", key: key()}
	case x < 70:
		op := modelOp{kind: "set", key: key(), size: r.Intn(80), ttl: int64(r.Intn(6)), seed: r.Intn(26)}
		switch r.Intn(12) {
		case 0:
			op.ttl = -1
		case 1:
			op.ttl = 2592001
		case 2:
			op.size = 65537
		case 3, 4, 5, 6:
			op.ttl = 0
		}
		return op
	case x < 82:
		return modelOp{kind: "del", key: key()}
	case x < 90:
		return modelOp{kind: "list"}
	default:
		op := modelOp{kind: "pull", origin: nodes[r.Intn(len(nodes))]}
		seen := map[string]bool{}
		for i := r.Intn(5); i > 0; i-- {
			if k := key(); !seen[k] {
				seen[k] = true
				op.keys = append(op.keys, k)
			}
		}
		return op
	}
}

// TestReferenceModel replays seeded random operation sequences through
// builtin:kvops and checks every response line against the model.
func TestReferenceModel(t *testing.T) {
	seeds, invocations := 12, 250
	if testing.Short() {
		seeds, invocations = 3, 100
	}
	keys := []string{"k0", "k1", "k2", "k3", "user:1", "a.b-c_d", "", "__sys:x", "__flaron:y", "a b", "k%", strings.Repeat("z", 257)}
	nodes := []string{"edge-a", "edge-b", "edge-off"}
	pullOrigins := append(nodes, "nowhere", "bad id")
	sites := []string{"shop.example", "blog.example", "readonly.example"}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			o := defaultEnvOptions()
			o.quota = 200
			o.limits.MaxReadsPerInvocation = 6
			o.limits.MaxWritesPerInvocation = 4
			o.limits.MaxPullKeys = 3
			e := newEnv(t, o)
			m := &model{
				now: e.clock.Now().UnixNano(), limits: e.h.Limits(), quota: 200, maxValue: 65536, maxTTL: 2592000,
				disabled: map[string]bool{"edge-a": false, "edge-b": false, "edge-off": true},
				cap:      map[string]bool{"shop.example": true, "blog.example": true},
				data:     map[[2]string]map[string]modelEntry{},
			}
			r := rand.New(rand.NewSource(seed))
			outcomes := map[string]int{}
			defer func() { t.Logf("outcomes: %v", outcomes) }()
			for i := 0; i < invocations; i++ {
				if d := time.Duration(r.Intn(9)) * 250 * time.Millisecond; d > 0 && r.Intn(3) == 0 {
					e.clock.Advance(d)
					m.now += int64(d)
				}
				// Mostly nodes with Spark and sites with the capability.
				node, site := nodes[r.Intn(2)], sites[r.Intn(2)]
				if r.Intn(8) == 0 {
					node = nodes[2]
				}
				if r.Intn(6) == 0 {
					site = sites[2]
				}
				var in, want []string
				inv := &modelInvocation{}
				for j := 1 + r.Intn(12); j > 0; j-- {
					op := randomOp(r, keys, pullOrigins)
					in = append(in, op.line())
					want = append(want, m.apply(node, site, inv, op))
				}
				got := e.kvops(node, site, strings.Join(in, "\n"))
				for _, l := range want {
					outcomes[l[:strings.IndexByte(l+" ", ' ')]+" "+strings.Fields(l + " x")[1]]++
				}
				for j := range want {
					if j >= len(got) || got[j] != want[j] {
						t.Fatalf("seed %d invocation %d on %s/%s, line %d %q:\n got %q\nwant %q\nrequest:\n%s\nresponse:\n%s",
							seed, i, node, site, j+1, in[j], at(got, j), want[j], strings.Join(in, "\n"), strings.Join(got, "\n"))
					}
				}
				if len(got) != len(want) {
					t.Fatalf("seed %d invocation %d: %d response lines, want %d", seed, i, len(got), len(want))
				}
			}
		})
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}
