package edgeops

import (
	"bytes"
	"testing"
)

func TestBase64RFC4648Vectors(t *testing.T) {
	vectors := []struct{ plain, enc string }{
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
		{"\xfb\xff", "+/8="},
	}
	for _, v := range vectors {
		got, ok := Base64Encode([]byte(v.plain))
		if !ok || string(got) != v.enc {
			t.Errorf("Base64Encode(%q) = %q, want %q", v.plain, got, v.enc)
		}
		dec, ok := Base64Decode([]byte(v.enc))
		if !ok || string(dec) != v.plain {
			t.Errorf("Base64Decode(%q) = %q, %v", v.enc, dec, ok)
		}
	}
	// Unpadded and URL-safe forms decode too.
	for enc, want := range map[string]string{"Zm8": "fo", "-_8": "\xfb\xff", "-_8=": "\xfb\xff"} {
		if dec, ok := Base64Decode([]byte(enc)); !ok || string(dec) != want {
			t.Errorf("Base64Decode(%q) = %q, %v; want %q", enc, dec, ok, want)
		}
	}
}

func TestHexAndURLVectors(t *testing.T) {
	tests := []struct {
		name string
		op   func([]byte) ([]byte, bool)
		in   string
		want string
	}{
		{"hex encode", HexEncode, "\x00\x01\xab\xff", "0001abff"},
		{"hex decode upper", HexDecode, "DEADbeef", "\xde\xad\xbe\xef"},
		{"hex decode empty", HexDecode, "", ""},
		{"url encode", URLEncode, "a b&c=d/é", "a+b%26c%3Dd%2F%C3%A9"},
		{"url encode safe", URLEncode, "AZaz09-_.~", "AZaz09-_.~"},
		{"url decode", URLDecode, "a+b%26c%3Dd%2F%C3%A9", "a b&c=d/é"},
		{"url decode %20", URLDecode, "x%20y", "x y"},
	}
	for _, tt := range tests {
		got, ok := tt.op([]byte(tt.in))
		if !ok || string(got) != tt.want {
			t.Errorf("%s(%q) = %q, %v; want %q", tt.name, tt.in, got, ok, tt.want)
		}
	}
}

func roundTrip(t *testing.T, name string, enc, dec func([]byte) ([]byte, bool), x []byte) {
	e, ok := enc(x)
	if !ok {
		t.Fatalf("%s encode(%q) gave no result", name, x)
	}
	d, ok := dec(e)
	if !ok || !bytes.Equal(d, x) {
		t.Fatalf("%s decode(encode(%q)) = %q, %v", name, x, d, ok)
	}
}

func FuzzBase64(f *testing.F) {
	f.Add([]byte("foobar"))
	f.Add([]byte{})
	f.Add([]byte{0xfb, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, x []byte) {
		roundTrip(t, "base64", Base64Encode, Base64Decode, x)
		Base64Decode(x) // arbitrary input: no panic
	})
}

func FuzzHex(f *testing.F) {
	f.Add([]byte("\x00\xff"))
	f.Add([]byte("zz"))
	f.Fuzz(func(t *testing.T, x []byte) {
		roundTrip(t, "hex", HexEncode, HexDecode, x)
		HexDecode(x)
	})
}

func FuzzURL(f *testing.F) {
	f.Add([]byte("a b&c"))
	f.Add([]byte("%zz+%"))
	f.Fuzz(func(t *testing.T, x []byte) {
		roundTrip(t, "url", URLEncode, URLDecode, x)
		URLDecode(x)
	})
}

// FuzzJSONOps drives every op whose input is a JSON envelope with
// arbitrary bytes (no panic) and checks AES round-trips for any plaintext
// and key the fuzzer finds.
func FuzzJSONOps(f *testing.F) {
	f.Add([]byte(`{"algorithm":"sha256","secret_key":"k","input":"x","claims":{"a":"b"},"version":"v7","format":"ms"}`), "k", "plain")
	f.Add([]byte(`{"algorithm":"EdDSA","secret_key":"`+"0000000000000000000000000000000000000000000000000000000000000000"+`","claims":{}}`), "", "")
	f.Add([]byte("\xff{"), "\x00", "\xff")
	f.Fuzz(func(t *testing.T, in []byte, key, plain string) {
		for _, op := range Ops() {
			switch {
			case op.Secret != nil:
				op.Secret(in, func(string) ([]byte, bool) { return []byte(key), true })
				op.Bytes(in)
			case op.Bytes != nil:
				op.Bytes(in)
			}
		}
		if key == "" {
			return
		}
		lookup := func(string) ([]byte, bool) { return []byte(key), true }
		env := args(t, "secret_key", "name", "input", plain)
		ct, ok := CryptoEncryptAES(env, lookup)
		if !ok {
			t.Fatalf("encrypt failed for key %q", key)
		}
		pt, ok := CryptoDecryptAES(args(t, "secret_key", "name", "input", string(ct)), lookup)
		// json.Marshal turns invalid UTF-8 into U+FFFD, so compare with what was sent.
		var sent cryptoArgs
		decodeArgs(env, &sent)
		if !ok || string(pt) != *sent.Input {
			t.Fatalf("AES round trip = %q, %v; want %q", pt, ok, *sent.Input)
		}
	})
}

func FuzzIntOps(f *testing.F) {
	f.Add(int32(0))
	f.Add(int32(-1))
	f.Add(int32(1 << 30))
	f.Fuzz(func(t *testing.T, n int32) {
		for _, op := range Ops() {
			if op.Kind == KindInt {
				out, ok := op.Int(n)
				if ok && len(out) == 0 {
					t.Fatalf("%s(%d) answered empty", op.Name, n)
				}
			}
		}
	})
}
