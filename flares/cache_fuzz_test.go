package flares

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// escapeAll writes s as a JSON string with every non-ASCII rune as \uXXXX
// (surrogate pairs above U+FFFF): the form the cache's JSON reader finds
// hardest.
func escapeAll(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r >= 0x7f:
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&b, "\\u%04x\\u%04X", hi, lo)
			} else {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzCacheOrigin checks that whatever a well-formed origin answers, the
// cache answers the same status and body on the miss, and the same again
// from Spark on the hit.
func FuzzCacheOrigin(f *testing.F) {
	f.Add(uint16(200), "hello", false)
	f.Add(uint16(404), "", true)
	f.Add(uint16(200), "é\"\\/\n\t\x01 😀 \u2028", true)
	f.Add(uint16(200), "<a href=\"x\">&amp;</a>", false)
	g := newGuestHost(f)
	r := startGuest(f, g, flareWasm(f, "cache"))
	var mu sync.Mutex
	n := 0
	f.Fuzz(func(t *testing.T, status uint16, body string, escape bool) {
		mu.Lock()
		defer mu.Unlock()
		status %= 1000
		if !utf8.ValidString(body) {
			body = strings.ToValidUTF8(body, "?")
		}
		encoded := escapeAll(body)
		if !escape {
			j, _ := json.Marshal(body)
			encoded = string(j)
		}
		g.beamResponse = fmt.Sprintf(`{"status":%d,"headers":{"x":"{\"body\":1}"},"body":%s}`, status, encoded)
		n++
		g.url = fmt.Sprintf("https://shop.example/p/%d", n)
		if _, err := r.invoke(context.Background()); err != nil {
			t.Fatalf("cache trapped: %v", err)
		}
		if g.status != int(status) || string(g.respBody) != body || g.respHeaders["x-cache"] != "MISS" {
			t.Fatalf("reply %s: answered %d %q %v", g.beamResponse, g.status, g.respBody, g.respHeaders)
		}
		if status != 200 || len(body) > 64<<10 {
			return
		}
		g.beamResponse = ""
		if _, err := r.invoke(context.Background()); err != nil {
			t.Fatalf("cache trapped on a hit: %v", err)
		}
		if g.status != 200 || string(g.respBody) != body || g.respHeaders["x-cache"] != "HIT" {
			t.Fatalf("hit: answered %d %q %v, want the stored %q", g.status, g.respBody, g.respHeaders, body)
		}
	})
}

// FuzzCacheBeamReply feeds arbitrary bytes as the origin's reply: the cache
// must never trap, and answers either 502 or a status it parsed.
func FuzzCacheBeamReply(f *testing.F) {
	for _, s := range []string{
		`{"status":200,"body":"x"}`, `{"status":200}`, `{"body":"x","status":"200"}`, `{"status":200,"body":"\u12"}`,
		`{"a":{"status":1},"status":201,"body":"\ud83d\ude00"}`, `[`, `{"status":200,"body":"x`, `{"status":99999999999999999999,"body":""}`,
	} {
		f.Add([]byte(s))
	}
	g := newGuestHost(f)
	r := startGuest(f, g, flareWasm(f, "cache"))
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, reply []byte) {
		mu.Lock()
		defer mu.Unlock()
		if len(reply) == 0 || len(reply) > 100<<10 {
			return
		}
		g.beamResponse = string(reply)
		g.spark = map[string]sparkEntry{}
		if _, err := r.invoke(context.Background()); err != nil {
			t.Fatalf("cache trapped on reply %q: %v", reply, err)
		}
		if g.status < 0 || g.status > 999 {
			t.Fatalf("reply %q: status %d", reply, g.status)
		}
	})
}
