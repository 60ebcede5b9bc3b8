package flares

import (
	"context"
	"sync"
	"testing"
)

// FuzzFlareParams gives every header parameter of a flare arbitrary values
// (and an arbitrary URL for the query fallback): the flare must never trap,
// must answer one of its documented statuses, and may only write valid keys.
func FuzzFlareParams(f *testing.F) {
	f.Add(uint8(0), "1", "2", "3", "4", "5", "6", "https://shop.example/p?x=1")
	f.Add(uint8(1), "-1", "token", "99999999999999999999", "0", "%zz", "", "https://shop.example/?limit=3&client=a%20b")
	f.Add(uint8(2), "a b", "é", "1e3", "0x10", "", "", "/relative?ttl=-1")
	f.Add(uint8(3), "", "", "", "", "", "", "")
	names := Names()
	runs := map[string]*guestRun{}
	hosts := map[string]*guestHost{}
	for _, name := range names {
		g := newGuestHost(f)
		g.beamResponse = `{"status":200,"body":"ok"}`
		g.pullRC = 1
		hosts[name] = g
		runs[name] = startGuest(f, g, flareWasm(f, name))
	}
	allowed := map[int]bool{200: true, 400: true, 404: true, 429: true, 500: true, 502: true, 503: true}
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, which uint8, a, b, c, d, e, g6, url string) {
		mu.Lock()
		defer mu.Unlock()
		name := names[int(which)%len(names)]
		g, r := hosts[name], runs[name]
		g.url = url
		clear(g.headers)
		info, _ := Info(name)
		values := []string{a, b, c, d, e, g6}
		i := 0
		for _, p := range info.Params {
			if p.Where == "header" && values[i%len(values)] != "" {
				g.headers[p.Name] = values[i%len(values)]
			}
			i++
		}
		if name == "kvops" {
			g.body = []byte(a + "\n" + b)
			if len(g.body) > 4096 {
				return
			}
		}
		if _, err := r.invoke(context.Background()); err != nil {
			t.Fatalf("%s trapped with headers %q url %q: %v", name, g.headers, url, err)
		}
		if !allowed[g.status] {
			t.Fatalf("%s answered %d with headers %q url %q", name, g.status, g.headers, url)
		}
		for k := range g.spark {
			if !validSparkKey([]byte(k)) {
				t.Fatalf("%s stored invalid key %q", name, k)
			}
		}
		if len(g.spark) > 10000 {
			clear(g.spark)
		}
	})
}
