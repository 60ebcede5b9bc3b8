package beam

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type answer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func fetch(t testing.TB, o *Origin, url, opts string) answer {
	t.Helper()
	out, ok := o.Fetch([]byte(url), []byte(opts))
	if !ok {
		t.Fatalf("Fetch(%q, %q) gave no result", url, opts)
	}
	var a answer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, out)
	}
	return a
}

func TestFetchShape(t *testing.T) {
	o := &Origin{}
	tests := []struct {
		name, opts, method string
		bodyLen            int
	}{
		{"no options (C SDK)", "", "GET", DefaultBodySize},
		{"empty object (AS, Zig)", "{}", "GET", DefaultBodySize},
		{"post", `{"method":"post","headers":{"content-type":"application/json","x-a":"1"},"body":"{\"k\":1}"}`, "POST", DefaultBodySize},
		{"head", `{"method":"HEAD"}`, "HEAD", 0},
		{"white space", " \n{ \"method\" : \"PUT\" }\t", "PUT", DefaultBodySize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fetch(t, o, "https://origin.example/item/1", tt.opts)
			if a.Status != 200 || len(a.Body) != tt.bodyLen {
				t.Fatalf("status %d, body %d bytes", a.Status, len(a.Body))
			}
			if a.Headers["x-beam-method"] != tt.method || a.Headers["content-length"] != itoa(tt.bodyLen) {
				t.Fatalf("headers %v", a.Headers)
			}
		})
	}
	a := fetch(t, o, "https://o.example/", `{"method":"POST","body":"12345"}`)
	if a.Headers["x-beam-request-body-bytes"] != "5" {
		t.Fatalf("request body size not echoed: %v", a.Headers)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestSDKScannerCompatible checks what the SDKs' scanners rely on: the
// first quoted "status" and "body" in the text are the top-level fields,
// and the body needs no escapes.
func TestSDKScannerCompatible(t *testing.T) {
	out, _ := (&Origin{BodySize: 4096}).Fetch([]byte(`https://o.example/p?q="x"&body=status`), []byte(`{"headers":{"body":"status"}}`))
	s := string(out)
	if !strings.HasPrefix(s, `{"status":200,"headers":{`) {
		t.Fatalf("answer does not start with status: %.60s", s)
	}
	bodyAt := strings.Index(s, `"body"`)
	if bodyAt < 0 || !strings.HasSuffix(s[:bodyAt], "},") {
		t.Fatalf(`first "body" is not the top-level field: %s`, s)
	}
	body := s[bodyAt+len(`"body":"`) : len(s)-2]
	if strings.ContainsAny(body, `\"`) {
		t.Fatal("body needs escapes")
	}
}

func TestBodyDeterministic(t *testing.T) {
	a := Body("https://o.example/a", 10000)
	b := Body("https://o.example/a", 10000)
	c := Body("https://o.example/b", 10000)
	if string(a) != string(b) {
		t.Fatal("same url, different bodies")
	}
	if string(a) == string(c) {
		t.Fatal("different urls, same body")
	}
	if string(Body("https://o.example/a", 100)) != string(a[:100]) {
		t.Fatal("a shorter body is not a prefix of the longer one")
	}
	counts := map[byte]int{}
	for _, ch := range a {
		if !strings.ContainsRune(bodySymbols, rune(ch)) {
			t.Fatalf("byte %q outside the alphabet", ch)
		}
		counts[ch]++
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct symbols in 10000 bytes", len(counts))
	}
	o := &Origin{}
	if fetch(t, o, "https://o.example/a", "").Body != fetch(t, o, "https://o.example/a", `{"method":"POST"}`).Body {
		t.Fatal("body depends on more than the url")
	}
}

func TestStatusAndSize(t *testing.T) {
	tests := []struct {
		origin  Origin
		status  int
		bodyLen int
	}{
		{Origin{Status: 503}, 503, DefaultBodySize},
		{Origin{Status: 404, BodySize: 10}, 404, 10},
		{Origin{Status: 204}, 204, 0},
		{Origin{Status: 304}, 304, 0},
		{Origin{BodySize: -1}, 200, 0},
		{Origin{BodySize: 1 << 20}, 200, 1 << 20},
	}
	for _, tt := range tests {
		a := fetch(t, &tt.origin, "http://o.example/x", "")
		if a.Status != tt.status || len(a.Body) != tt.bodyLen {
			t.Errorf("%+v: status %d body %d; want %d, %d", tt.origin, a.Status, len(a.Body), tt.status, tt.bodyLen)
		}
	}
}

func TestMalformed(t *testing.T) {
	o := &Origin{}
	tests := []struct{ url, opts string }{
		{"", ""},
		{"not a url", ""},
		{"/relative/path", ""},
		{"ftp://o.example/x", ""},
		{"https://", ""},
		{"http://o.example/%zz", ""},
		{"https://o.example/", "["},
		{"https://o.example/", "[]"},
		{"https://o.example/", "null"},
		{"https://o.example/", `{"method":5}`},
		{"https://o.example/", `{"method":"GE T"}`},
		{"https://o.example/", `{"headers":{"bad name":"x"}}`},
		{"https://o.example/", `{"headers":{"x":1}}`},
		{"https://o.example/", `{"headers":["x"]}`},
		{"https://o.example/", `{"body":{}}`},
		{"https://o.example/", `{}{}`},
	}
	for _, tt := range tests {
		if out, ok := o.Fetch([]byte(tt.url), []byte(tt.opts)); ok {
			t.Errorf("Fetch(%q, %q) = %.40s, want no result", tt.url, tt.opts, out)
		}
	}
	if _, err := o.FetchContext(context.Background(), []byte("x"), nil); !errors.Is(err, ErrBadURL) {
		t.Fatalf("err %v", err)
	}
	if _, err := o.FetchContext(context.Background(), []byte("http://h/"), []byte("[")); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("err %v", err)
	}
}

func TestLatency(t *testing.T) {
	var calls atomic.Int32
	o := &Origin{Latency: func() time.Duration { calls.Add(1); return 20 * time.Millisecond }}
	start := time.Now()
	fetch(t, o, "http://o.example/", "")
	if time.Since(start) < 20*time.Millisecond || calls.Load() != 1 {
		t.Fatalf("latency not applied once: %v, %d calls", time.Since(start), calls.Load())
	}
	// Malformed requests fail before waiting.
	o.Fetch([]byte("bad"), nil)
	if calls.Load() != 1 {
		t.Fatal("latency drawn for a malformed request")
	}
	slow := &Origin{Latency: func() time.Duration { return time.Hour }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := slow.FetchContext(ctx, []byte("http://o.example/"), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled fetch: %v", err)
	}
}

func FuzzFetch(f *testing.F) {
	f.Add([]byte("https://o.example/a?b=c"), []byte(`{"method":"POST","headers":{"a":"b"},"body":"x"}`))
	f.Add([]byte("http://h"), []byte(""))
	f.Add([]byte("\x00"), []byte("{"))
	f.Fuzz(func(t *testing.T, url, opts []byte) {
		o := &Origin{BodySize: 64}
		out, ok := o.Fetch(url, opts)
		if !ok {
			return
		}
		var a answer
		if err := json.Unmarshal(out, &a); err != nil || a.Status != 200 {
			t.Fatalf("answer %s: %v", out, err)
		}
		if a.Headers["x-beam-method"] != "HEAD" && a.Body != string(Body(string(url), 64)) {
			t.Fatal("body is not Body(url)")
		}
	})
}

func BenchmarkFetch1KiB(b *testing.B) {
	o := &Origin{}
	url := []byte("https://origin.example/products/12345")
	b.ReportAllocs()
	for b.Loop() {
		o.Fetch(url, nil)
	}
}

func BenchmarkBody1KiB(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Body("https://origin.example/products/12345", 1024)
	}
}
