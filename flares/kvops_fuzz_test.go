package flares

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// kvopsModel is an independent Go reading of the kvops request language
// (docs/CONTRACTS.md) over the test host's Spark rules. FuzzKvops checks the
// flare against it byte for byte.
func kvopsModel(body []byte, g *guestHost) string {
	var out strings.Builder
	lines := strings.Split(string(body), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if res, ok := kvopsModelLine(line, g); ok {
			out.WriteString(res)
		} else {
			fmt.Fprintf(&out, "err %d", i+1)
		}
		out.WriteByte('\n')
	}
	return out.String()
}

func modelDecode(field string) (string, bool) {
	if field == "~" {
		return "", true
	}
	var b []byte
	for i := 0; i < len(field); i++ {
		if field[i] != '%' {
			b = append(b, field[i])
			continue
		}
		if i+2 >= len(field) {
			return "", false
		}
		v, err := strconv.ParseUint(field[i+1:i+3], 16, 8)
		if err != nil || strings.ContainsAny(field[i+1:i+3], "+-") {
			return "", false
		}
		b = append(b, byte(v))
		i += 2
	}
	return string(b), true
}

func modelUint(s string) (uint64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func modelJSONKeys(keys []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(k); j++ {
			c := k[j]
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20:
				fmt.Fprintf(&b, "\\u%04x", c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

func kvopsModelLine(line string, g *guestHost) (string, bool) {
	f := strings.Split(line, " ")
	if len(f) > 5 {
		return "", false
	}
	for _, x := range f {
		if x == "" {
			return "", false
		}
	}
	switch f[0] {
	case "get":
		hash := len(f) == 3 && f[2] == "hash"
		if len(f) != 2 && !hash {
			return "", false
		}
		key, ok := modelDecode(f[1])
		if !ok {
			return "", false
		}
		e, hit := g.spark[key]
		if !hit {
			return "get miss", true
		}
		if hash {
			return fmt.Sprintf("get hit %d %d %s", e.ttl, len(e.value), fnvHex(e.value)), true
		}
		return kvopsHit(int64(e.ttl), e.value), true
	case "set":
		if len(f) != 4 && len(f) != 5 {
			return "", false
		}
		size, ok := modelUint(f[2])
		if !ok || size > 1<<20 {
			return "", false
		}
		neg := strings.HasPrefix(f[3], "-")
		mag, ok := modelUint(strings.TrimPrefix(f[3], "-"))
		if !ok || (!neg && mag > 1<<31-1) || (neg && mag > 1<<31) {
			return "", false
		}
		ttl := int64(mag)
		if neg {
			ttl = -ttl
		}
		var seed uint64
		if len(f) == 5 {
			if seed, ok = modelUint(f[4]); !ok {
				return "", false
			}
		}
		key, ok := modelDecode(f[1])
		if !ok {
			return "", false
		}
		val := make([]byte, size)
		for j := range val {
			val[j] = byte('a' + (seed%26+uint64(j))%26)
		}
		code := 0
		switch {
		case !validSparkKey([]byte(key)):
			code = 8
		case ttl < 0:
			code = 1
		case len(val) > g.maxValue:
			code = 2
		default:
			g.spark[key] = sparkEntry{val, uint32(ttl)}
		}
		return fmt.Sprintf("set %d", code), true
	case "del":
		if len(f) != 2 {
			return "", false
		}
		key, ok := modelDecode(f[1])
		if !ok {
			return "", false
		}
		delete(g.spark, key)
		return "del", true
	case "list":
		if len(f) != 1 {
			return "", false
		}
		keys := make([]string, 0, len(g.spark))
		for k := range g.spark {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		j, _ := json.Marshal(keys)
		return fmt.Sprintf("list %d %s", len(keys), fnvHex(j)), true
	case "pull":
		if len(f) != 3 {
			return "", false
		}
		origin, ok := modelDecode(f[1])
		if !ok {
			return "", false
		}
		keys := []string{}
		if f[2] != "[]" {
			for _, item := range strings.Split(f[2], ",") {
				k, ok := modelDecode(item)
				if item == "" || !ok {
					return "", false
				}
				keys = append(keys, k)
			}
		}
		g.pulls = append(g.pulls, pullCall{origin, modelJSONKeys(keys)})
		return fmt.Sprintf("pull %d", g.pullRC), true
	}
	return "", false
}

func FuzzKvops(f *testing.F) {
	for _, seed := range []string{
		"set a%3Ab 3 60 1\nget a:b\nget nope",
		"set k 0 0\r\nget k\r\n",
		"set ~ 1 0\nset bad%20key 1 0\nset k 1 -1\nset k 65537 0\nset k 65536 0\nset k 1 2147483647",
		"set b 1 0\nset a 1 0\nlist\ndel a\ndel a\nlist",
		"get\nget a b\nset k x 0\nset k 1 2147483648\nset k 1 0 -3\nbogus\n\nget a%zz\nget a%4\nset k 1048577 0",
		"pull edge%20fra a,b%2Cc,~,q%22%5C%01\npull n []\npull ~ x\npull n a,,b",
		"set k 00000000000000000000000000007 -0 000\nget k\nset k 1 -2147483648\nset k 1 -2147483649",
	} {
		f.Add([]byte(seed))
	}
	g := newGuestHost(f)
	r := startGuest(f, g, flareWasm(f, "kvops"))
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		g.spark, g.pulls, g.body, g.pullRC = map[string]sparkEntry{}, nil, body, -3
		model := newGuestHost(t)
		model.pullRC = g.pullRC
		want := kvopsModel(body, model)
		if _, err := r.invoke(context.Background()); err != nil {
			t.Fatalf("kvops trapped on %q: %v", body, err)
		}
		if len(body) > 200<<10 {
			return // beyond the arena: the host could not hand the body over
		}
		if g.status != 200 || !bytes.Equal(g.respBody, []byte(want)) {
			t.Fatalf("body %q:\nflare (%d):\n%s\nmodel:\n%s", body, g.status, g.respBody, want)
		}
		if fmt.Sprintf("%q", g.pulls) != fmt.Sprintf("%q", model.pulls) {
			t.Fatalf("body %q: pulls sent %q, model %q", body, g.pulls, model.pulls)
		}
	})
}
