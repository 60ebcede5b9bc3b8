package beam

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// sdkScan reads a field the way the AssemblyScript and Zig SDKs do (our own
// restatement of their behaviour, not their code): find the first quoted
// occurrence of the name followed by optional spaces and a colon, then read
// an integer or a string, undoing only \" \\ \n \r \t and \/.
func sdkScan(text, name string) (string, bool) {
	needle := `"` + name + `"`
	from := 0
	for {
		at := strings.Index(text[from:], needle)
		if at < 0 {
			return "", false
		}
		i := from + at + len(needle)
		for i < len(text) && text[i] == ' ' {
			i++
		}
		if i >= len(text) || text[i] != ':' {
			from = from + at + 1
			continue
		}
		i++
		for i < len(text) && text[i] == ' ' {
			i++
		}
		if i < len(text) && text[i] != '"' {
			j := i
			for j < len(text) && (text[j] == '-' || text[j] >= '0' && text[j] <= '9') {
				j++
			}
			return text[i:j], j > i
		}
		var out strings.Builder
		for j := i + 1; j < len(text); j++ {
			c := text[j]
			if c == '\\' && j+1 < len(text) {
				j++
				switch text[j] {
				case 'n':
					out.WriteByte('\n')
				case 'r':
					out.WriteByte('\r')
				case 't':
					out.WriteByte('\t')
				default: // \" \\ \/ and anything else: the character itself
					out.WriteByte(text[j])
				}
				continue
			}
			if c == '"' {
				return out.String(), true
			}
			out.WriteByte(c)
		}
		return "", false
	}
}

// FuzzSDKScannersAgree: for any request the origin answers, the SDKs'
// scanners read the same status and body as a real JSON parser.
func FuzzSDKScannersAgree(f *testing.F) {
	f.Add([]byte(`https://o.example/p?status="1"&body=x`), []byte(`{"method":"POST","headers":{"body":"status"},"body":"\"status\":1"}`), 17)
	f.Add([]byte("http://h/"), []byte(""), 0)
	f.Fuzz(func(t *testing.T, url, opts []byte, size int) {
		o := &Origin{BodySize: size % 4096}
		out, ok := o.Fetch(url, opts)
		if !ok {
			return
		}
		var a answer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		status, ok := sdkScan(string(out), "status")
		if !ok || status != strconv.Itoa(a.Status) {
			t.Fatalf("scanned status %q, JSON %d", status, a.Status)
		}
		body, ok := sdkScan(string(out), "body")
		if !ok || body != a.Body {
			t.Fatalf("scanned body %.40q, JSON %.40q", body, a.Body)
		}
		for name, value := range a.Headers {
			// Header values are read from the headers object by the same scanner.
			hdrs := string(out)[strings.Index(string(out), `"headers":`):]
			if got, ok := sdkScan(hdrs, name); !ok || got != value {
				t.Fatalf("header %s scanned %q, JSON %q", name, got, value)
			}
		}
	})
}
