package flares

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"testing"
)

func fnvHex(b []byte) string {
	h := fnv.New32a()
	h.Write(b)
	return fmt.Sprintf("%08x", h.Sum32())
}

func kvopsValue(size, seed int) []byte {
	v := make([]byte, size)
	for j := range v {
		v[j] = byte('a' + (seed+j)%26)
	}
	return v
}

func TestKvopsLanguage(t *testing.T) {
	abc := kvopsValue(3, 1) // "bcd"
	tests := []struct {
		name    string
		body    string
		headers map[string]string
		preload map[string]sparkEntry
		want    string
	}{
		{
			name: "set then get",
			body: "set a%3Ab 3 60 1\nget a:b\nget a%3ab hash\nget nope",
			want: "set 0\nget hit ttl=60 len=3 value=bcd\nget hit 60 3 " + fnvHex(abc) + "\nget miss\n",
		},
		{
			name: "trailing newline and CRLF",
			body: "set k 0 0\r\nget k\r\n",
			want: "set 0\nget hit ttl=0 len=0 value=~\n",
		},
		{
			name: "codes are the host's",
			body: "set ~ 1 0\nset bad%20key 1 0\nset k 1 -1\nset k 65537 0\nset k 65536 0\nset k 1 2147483647",
			want: "set 8\nset 8\nset 1\nset 2\nset 0\nset 0\n",
		},
		{
			name: "delete and list",
			body: "set b 1 0\nset a 1 0\nlist\ndel a\ndel a\nlist",
			want: "set 0\nset 0\nlist 2 " + fnvHex([]byte(`["a","b"]`)) + "\ndel\ndel\nlist 1 " + fnvHex([]byte(`["b"]`)) + "\n",
		},
		{
			name: "unparseable lines answer err with their number",
			body: strings.Join([]string{
				"get", "get a b", "set k x 0", "set k 1 2147483648", "set k 1 0 -3", "bogus", "",
				"get a%zz", "get a%4", "set k 1048577 0", "list x", "pull n", "pull n a,,b", "get  a", "GET a", "del",
				"set k 1 0 1 extra", "get a hsh", "get a",
			}, "\n"),
			want: "err 1\nerr 2\nerr 3\nerr 4\nerr 5\nerr 6\nerr 7\nerr 8\nerr 9\nerr 10\nerr 11\nerr 12\nerr 13\nerr 14\nerr 15\nerr 16\nerr 17\nerr 18\nget miss\n",
		},
		{
			name:    "repeat runs the list N times",
			body:    "get k\nset k 2 0",
			headers: map[string]string{"x-kvops-repeat": "3"},
			want:    "get miss\nset 0\nget hit ttl=0 len=2 value=ab\nset 0\nget hit ttl=0 len=2 value=ab\nset 0\n",
		},
		{
			name:    "ttl prefix is reported as is",
			body:    "get s\nget s hash",
			preload: map[string]sparkEntry{"s": {[]byte("xyz"), 4294967295}},
			want:    "get hit ttl=4294967295 len=3 value=xyz\nget hit 4294967295 3 " + fnvHex([]byte("xyz")) + "\n",
		},
		{
			name: "empty body answers nothing",
			body: "",
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuestHost(t)
			g.body = []byte(tt.body)
			for k, v := range tt.headers {
				g.headers[k] = v
			}
			for k, v := range tt.preload {
				g.spark[k] = v
			}
			r := startGuest(t, g, flareWasm(t, "kvops"))
			r.mustInvoke(t)
			if g.status != 200 {
				t.Fatalf("status %d, body %q", g.status, g.respBody)
			}
			if string(g.respBody) != tt.want {
				t.Errorf("body:\n%s\nwant:\n%s", g.respBody, tt.want)
			}
		})
	}
}

func TestKvopsValueBytes(t *testing.T) {
	for _, tc := range []struct{ size, seed int }{{0, 0}, {1, 0}, {26, 0}, {27, 25}, {1000, 7}, {65536, 123456789}, {1 << 20, 3}} {
		g := newGuestHost(t)
		g.maxValue = 1 << 20
		g.body = []byte(fmt.Sprintf("set k %d 0 %d", tc.size, tc.seed))
		r := startGuest(t, g, flareWasm(t, "kvops"))
		r.mustInvoke(t)
		if string(g.respBody) != "set 0\n" {
			t.Fatalf("size %d seed %d: %q", tc.size, tc.seed, g.respBody)
		}
		if want := kvopsValue(tc.size, tc.seed); string(g.lastSetValue) != string(want) {
			t.Errorf("size %d seed %d: value differs from 'a'+(SEED+j)%%26 (got %d bytes)", tc.size, tc.seed, len(g.lastSetValue))
		}
	}
}

func TestKvopsPullSendsJSONKeys(t *testing.T) {
	g := newGuestHost(t)
	g.pullRC = -8
	g.body = []byte("pull edge%20fra a,b%2Cc,~,q%22%5C%01\npull n []\npull ~ x")
	r := startGuest(t, g, flareWasm(t, "kvops"))
	r.mustInvoke(t)
	if want := "pull -8\npull -8\npull -8\n"; string(g.respBody) != want {
		t.Fatalf("body %q, want %q", g.respBody, want)
	}
	want := []pullCall{
		{"edge fra", `["a","b,c","","q\"\\\u0001"]`},
		{"n", `[]`},
		{"", `["x"]`},
	}
	if fmt.Sprint(g.pulls) != fmt.Sprint(want) {
		t.Errorf("pulls %q, want %q", g.pulls, want)
	}
}

func TestKvopsBadRepeat(t *testing.T) {
	for _, v := range []string{"0", "-1", "x", "1000001", ""} {
		g := newGuestHost(t)
		g.headers["x-kvops-repeat"] = v
		g.body = []byte("list")
		r := startGuest(t, g, flareWasm(t, "kvops"))
		r.mustInvoke(t)
		if g.status != 400 {
			t.Errorf("x-kvops-repeat %q: status %d, want 400", v, g.status)
		}
	}
}

func TestKvopsResponseOverflow(t *testing.T) {
	g := newGuestHost(t)
	g.headers["x-kvops-repeat"] = "100000"
	g.body = []byte("get k")
	r := startGuest(t, g, flareWasm(t, "kvops"))
	r.mustInvoke(t)
	if g.status != 500 || !strings.Contains(string(g.respBody), "exceeds") {
		t.Errorf("status %d body %q, want 500 naming the overflow", g.status, g.respBody)
	}
}

func TestKvopsListEmpty(t *testing.T) {
	g := newGuestHost(t)
	g.body = []byte("list")
	r := startGuest(t, g, flareWasm(t, "kvops"))
	r.mustInvoke(t)
	if want := "list 0 " + fnvHex([]byte("[]")) + "\n"; string(g.respBody) != want {
		t.Errorf("body %q, want %q", g.respBody, want)
	}
}

// TestKvopsValueEncoding: a value is answered percent-encoded, as a
// request field is decoded, so that any bytes stay on one line and a
// check can compare it.
func TestKvopsValueEncoding(t *testing.T) {
	for _, v := range []string{"", "~", "a b", "100%", "x\ny\r\x00\xff", `{"n":1}`, "hits:42"} {
		got := kvopsHit(7, []byte(v))
		enc := strings.TrimPrefix(got[strings.Index(got, "value="):], "value=")
		if strings.ContainsAny(enc, " \n\r") {
			t.Errorf("%q: encoded %q spans fields or lines", v, enc)
		}
		var dec []byte
		if enc != "~" {
			d, err := url.PathUnescape(enc)
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			dec = []byte(d)
		}
		if string(dec) != v {
			t.Errorf("%q: round trip gives %q", v, dec)
		}
	}
}
