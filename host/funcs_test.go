package host

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/sparkbench/sparkbench/host/internal/abi"
	"github.com/sparkbench/sparkbench/host/internal/edgeops"
)

// probeBody encodes a call for testdata/probe.wat.
func probeBody(sel uint32, a, b string, d int64) []byte {
	buf := make([]byte, 20, 20+len(a)+len(b))
	binary.LittleEndian.PutUint32(buf, sel)
	binary.LittleEndian.PutUint32(buf[4:], uint32(len(a)))
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(b)))
	binary.LittleEndian.PutUint64(buf[12:], uint64(d))
	return append(append(buf, a...), b...)
}

func le64(n int64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	return string(b[:])
}

func le32(n int32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	return string(b[:])
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestHostFunctions drives the request, response, secrets, beam, plasma,
// log, edge-op and websocket functions from a real guest.
func TestHostFunctions(t *testing.T) {
	var log bytes.Buffer
	o := defaultEnvOptions()
	o.log = &log
	e := newEnv(t, o)
	f := e.load("testdata/probe.wasm")
	sum := sha256.Sum256([]byte("abc"))
	tests := []struct {
		name       string
		node, site string
		sel        uint32
		a, b       string
		d          int64
		headers    [][2]string
		wantStatus int
		want       string         // exact body, unless match is set
		match      *regexp.Regexp // body pattern
	}{
		{name: "req_method", sel: 0, wantStatus: 200, want: "POST"},
		{name: "req_url", sel: 1, wantStatus: 200, want: "https://shop.example/probe?x=1"},
		{name: "req_header_get is case-insensitive", sel: 2, a: "x-custom", headers: [][2]string{{"X-Custom", "v1"}, {"x-custom", "v2"}}, wantStatus: 200, want: "v1"},
		{name: "req_header_get upper-case name", sel: 2, a: "X-CUSTOM", headers: [][2]string{{"x-custom", "v1"}}, wantStatus: 200, want: "v1"},
		{name: "req_header_get missing", sel: 2, a: "x-nope", headers: [][2]string{{"x-custom", "v1"}}, wantStatus: 204},
		{name: "req_header_get present but empty", sel: 2, a: "x-empty", headers: [][2]string{{"x-empty", ""}}, wantStatus: 200, want: ""},
		{name: "secret_get", sel: 4, a: "api-key", wantStatus: 200, want: "s3cret"},
		{name: "secret_get missing", sel: 4, a: "nope", wantStatus: 204},
		{name: "secret_get other site", site: "blog.example", sel: 4, a: "api-key", wantStatus: 204},
		{name: "beam_fetch", sel: 5, a: "https://origin.example/a", b: "{}", wantStatus: 200, match: regexp.MustCompile(`^\{"status":200,.*"body":"`)},
		{name: "beam_fetch bad url", sel: 5, a: "", b: "", wantStatus: 204},
		{name: "plasma_set", sel: 6, a: "pk", b: "pv", wantStatus: 200, want: le32(0)},
		{name: "plasma_get on another node", node: "edge-b", sel: 7, a: "pk", wantStatus: 200, want: "pv"},
		{name: "plasma_increment", sel: 8, a: "ctr", d: 5, wantStatus: 200, want: le64(5)},
		{name: "plasma_increment again", node: "edge-b", sel: 8, a: "ctr", d: -7, wantStatus: 200, want: le64(-2)},
		{name: "plasma_list", sel: 9, wantStatus: 200, want: `["ctr","pk"]`},
		{name: "log_info", sel: 10, a: "hello from the guest", wantStatus: 200},
		{name: "crypto_hash", sel: 11, a: `{"algorithm":"sha256","input":"abc"}`, wantStatus: 200, want: hex.EncodeToString(sum[:])},
		{name: "encoding_base64_encode", sel: 12, a: "hello", wantStatus: 200, want: "aGVsbG8="},
		{name: "crypto_hmac resolves the secret name", sel: 13, a: `{"secret_key":"api-key","input":"msg"}`, wantStatus: 200, want: hmacHex("s3cret", "msg")},
		{name: "crypto_hmac unknown secret", site: "blog.example", sel: 13, a: `{"secret_key":"api-key","input":"msg"}`, wantStatus: 204},
		{name: "ws_send on a closed connection", sel: 14, a: "x", wantStatus: 200, match: regexp.MustCompile(`^[^\x00]|^.[^\x00]|^..[^\x00]|^...[^\x00]`)},
		{name: "ws_event_type", sel: 15, wantStatus: 204},
		{name: "ws_close_code", sel: 16, wantStatus: 200, want: le32(1000)},
		{name: "resp_header_set replaces", sel: 17, a: "X-A", b: "1", wantStatus: 201, want: ""},
		{name: "id_uuid", sel: 18, a: `{"version":"v4"}`, wantStatus: 200, match: regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)},
		{name: "timestamp", sel: 19, a: `{"format":"unix"}`, wantStatus: 200, match: regexp.MustCompile(`^[0-9]{10}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			node, site := tc.node, tc.site
			if node == "" {
				node = "edge-a"
			}
			if site == "" {
				site = "shop.example"
			}
			body := probeBody(tc.sel, tc.a, tc.b, tc.d)
			resp, err := e.h.Invoke(context.Background(), f, &Request{Node: node, Site: site, Method: "POST",
				URL: "https://shop.example/probe?x=1", Headers: tc.headers, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", resp.Status, tc.wantStatus, resp.Body)
			}
			switch {
			case tc.match != nil:
				if !tc.match.Match(resp.Body) {
					t.Errorf("body %q does not match %v", resp.Body, tc.match)
				}
			case string(resp.Body) != tc.want:
				t.Errorf("body %q, want %q", resp.Body, tc.want)
			}
		})
	}
	t.Run("req_body", func(t *testing.T) {
		body := probeBody(3, "", "", 0)
		resp, err := e.h.Invoke(context.Background(), f, &Request{Node: "edge-a", Site: "shop.example", Method: "POST", URL: "/", Body: body})
		if err != nil || !bytes.Equal(resp.Body, body) {
			t.Fatalf("%v: body %x, want %x", err, resp.Body, body)
		}
	})
	t.Run("resp_header_set", func(t *testing.T) {
		resp, err := e.h.Invoke(context.Background(), f, &Request{Node: "edge-a", Site: "shop.example", Method: "POST", URL: "/", Body: probeBody(17, "X-A", "1", 0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Headers) != 1 || resp.Headers[0] != [2]string{"X-A", "1"} {
			t.Errorf("headers %v, want exactly X-A: 1", resp.Headers)
		}
	})
	if want := "info flare[probe] edge-a/shop.example: hello from the guest\n"; !strings.Contains(log.String(), want) {
		t.Errorf("log %q lacks %q", log.String(), want)
	}
}

// TestLogCappedPerInvocation: a guest logging in a loop writes at most
// Config.LogLinesPerInvocation lines per invocation, plus one note.
func TestLogCappedPerInvocation(t *testing.T) {
	var log bytes.Buffer
	o := defaultEnvOptions()
	o.log = &log
	e := newEnv(t, o)
	f := e.load("testdata/logloop.wasm")
	for round := 0; round < 2; round++ {
		log.Reset()
		if _, err := invokeHostile(e, f, &Request{Body: u32s(10000)}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
		if len(lines) != 17 || lines[0] != "warn flare[logloop] edge-a/shop.example: line" || !strings.Contains(lines[16], "log capped at 16 lines") {
			t.Fatalf("round %d: %d lines: first %q last %q", round, len(lines), lines[0], lines[len(lines)-1])
		}
	}
}

// TestEveryEdgeOpImplemented: each edge-op import of the ABI table has an
// implementation in edgeops (otherwise the host would answer 0 forever).
func TestEveryEdgeOpImplemented(t *testing.T) {
	for _, f := range abi.FlaronV1 {
		if f.Group != "edgeops" {
			continue
		}
		op, ok := edgeops.Find(f.Name)
		if !ok || (op.Bytes == nil && op.Int == nil && op.None == nil && op.Secret == nil) {
			t.Errorf("%s: no edge op", f.Name)
		}
	}
}
