package beam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied to a zero Origin.
const (
	DefaultStatus   = 200
	DefaultBodySize = 1024
)

// Origin is a synthetic HTTP origin. The zero value answers 200 with a
// 1 KiB body and no latency. An Origin is safe for concurrent use if its
// Latency function is.
type Origin struct {
	Latency  func() time.Duration // slept once per fetch; nil = none
	Status   int                  // default 200
	BodySize int                  // bytes; default 1024; < 0 = empty body
}

// Options is the beam_fetch options JSON the SDKs send:
// {"method":"POST","headers":{"name":"value"},"body":"..."}, every field
// optional; empty options (the C SDK passes none) mean a GET.
type Options struct {
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// ParseOptions parses options JSON; empty input gives a GET.
func ParseOptions(optsJSON []byte) (Options, error) {
	var o Options
	trimmed := bytes.TrimSpace(optsJSON)
	if len(trimmed) > 0 {
		if trimmed[0] != '{' {
			return o, ErrBadOptions
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&o); err != nil {
			return o, fmt.Errorf("%w: %v", ErrBadOptions, err)
		}
		if dec.InputOffset() != int64(len(trimmed)) {
			return o, fmt.Errorf("%w: trailing data", ErrBadOptions)
		}
	}
	if o.Method == "" {
		o.Method = "GET"
	}
	o.Method = strings.ToUpper(o.Method)
	if !isToken(o.Method) {
		return o, fmt.Errorf("%w: method %q", ErrBadOptions, o.Method)
	}
	for name := range o.Headers {
		if !isToken(name) {
			return o, fmt.Errorf("%w: header name %q", ErrBadOptions, name)
		}
	}
	return o, nil
}

// isToken reports whether s is a non-empty RFC 9110 token (method and
// header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Fetch answers JSON {"status":..,"headers":{..},"body":".."} for the URL and
// options JSON; ok is false for a malformed URL or options.
func (o *Origin) Fetch(url []byte, optsJSON []byte) ([]byte, bool) {
	out, err := o.FetchContext(context.Background(), url, optsJSON)
	return out, err == nil
}

// FetchContext is Fetch that stops waiting out the latency when ctx is done
// (then it returns ctx's error).
func (o *Origin) FetchContext(ctx context.Context, rawURL []byte, optsJSON []byte) ([]byte, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	opts, err := ParseOptions(optsJSON)
	if err != nil {
		return nil, err
	}
	if o.Latency != nil {
		if d := o.Latency(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
	}
	return o.respond(string(rawURL), opts), nil
}

// checkURL accepts an absolute http or https URL, as a real fetch would.
func checkURL(raw []byte) error {
	if len(raw) == 0 {
		return ErrBadURL
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an absolute http(s) url", ErrBadURL, raw)
	}
	return nil
}

func (o *Origin) status() int {
	if o.Status == 0 {
		return DefaultStatus
	}
	return o.Status
}

func (o *Origin) bodySize() int {
	switch {
	case o.BodySize == 0:
		return DefaultBodySize
	case o.BodySize < 0:
		return 0
	}
	return o.BodySize
}

// respond builds the JSON answer. The body is Body(url, size); HEAD and the
// statuses that carry no content (1xx, 204, 304) get an empty one.
func (o *Origin) respond(rawURL string, opts Options) []byte {
	status := o.status()
	size := o.bodySize()
	if opts.Method == "HEAD" || status < 200 || status == 204 || status == 304 {
		size = 0
	}
	body := Body(rawURL, size)
	// Sorted by name, so the answer is byte-for-byte stable.
	headers := [...][2]string{
		{"content-length", strconv.Itoa(len(body))},
		{"content-type", "text/plain; charset=utf-8"},
		// The body is a function of (url, size), so that pair names it.
		{"etag", `"` + strconv.FormatUint(fnv64([]byte(rawURL)), 16) + "-" + strconv.Itoa(len(body)) + `"`},
		{"x-beam-method", opts.Method},
		{"x-beam-request-body-bytes", strconv.Itoa(len(opts.Body))},
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, `{"status":`...)
	out = strconv.AppendInt(out, int64(status), 10)
	out = append(out, `,"headers":{`...)
	for i, h := range headers {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, h[0])
		out = append(out, ':')
		out = appendString(out, h[1])
	}
	out = append(out, `},"body":`...)
	// The body is alphanumeric: no escaping needed.
	out = append(out, '"')
	out = append(out, body...)
	return append(out, '"', '}')
}

// appendString quotes s with the escapes every SDK reader understands.
// Header values are ASCII we produce; the body is alphanumeric.
func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

// bodySymbols maps 6 random bits to a body byte: the 62 alphanumerics plus
// two of them again, so that no draw is rejected (the tiny bias is of no
// consequence for a synthetic body).
const bodySymbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789xy"

// Body returns the deterministic body of size bytes for url: alphanumerics
// drawn from a splitmix64 stream seeded by FNV-1a of the url, so the same
// url always yields the same bytes, different urls differ, and a shorter
// body is a prefix of a longer one.
func Body(url string, size int) []byte {
	if size <= 0 {
		return []byte{}
	}
	state := fnv64([]byte(url))
	out := make([]byte, size)
	for i := 0; i < size; {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		if size-i >= 10 {
			w := out[i : i+10 : i+10]
			for j := range w {
				w[j] = bodySymbols[z&63]
				z >>= 6
			}
			i += 10
			continue
		}
		for ; i < size; i++ {
			out[i] = bodySymbols[z&63]
			z >>= 6
		}
	}
	return out
}

func fnv64(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}
