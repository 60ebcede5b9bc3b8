package edgeops

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// args builds a JSON envelope as the SDKs do.
func args(t testing.TB, kv ...string) []byte {
	t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCryptoHashKnownDigests(t *testing.T) {
	tests := []struct{ alg, input, want string }{
		{"sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"SHA-256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"md5", "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"sha384", "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{"sha512", "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+tt.input, func(t *testing.T) {
			got, ok := CryptoHash(args(t, "algorithm", tt.alg, "input", tt.input))
			if !ok || string(got) != tt.want {
				t.Fatalf("CryptoHash(%s, %q) = %q, %v; want %q", tt.alg, tt.input, got, ok, tt.want)
			}
		})
	}
}

// TestCryptoHMACRFC4231 uses test cases 1, 2 and 6 of RFC 4231. Keys that
// are not text travel as JSON \u escapes, which decode to the same bytes.
func TestCryptoHMACRFC4231(t *testing.T) {
	key6 := strings.Repeat("\xaa", 131)
	tests := []struct {
		name, alg, key, data, want string
	}{
		{"case1-sha256", "", strings.Repeat("\x0b", 20), "Hi There",
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"case1-sha512", "sha512", strings.Repeat("\x0b", 20), "Hi There",
			"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
		{"case2-sha256", "", "Jefe", "what do ya want for nothing?",
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"case2-sha384", "sha384", "Jefe", "what do ya want for nothing?",
			"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
		{"case2-sha512", "sha512", "Jefe", "what do ya want for nothing?",
			"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
		{"case6-sha256", "", key6, "Test Using Larger Than Block-Size Key - Hash Key First",
			"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Secret resolved through the site's lookup, as the host does.
			lookup := func(name string) ([]byte, bool) {
				if name == "mac-key" {
					return []byte(tt.key), true
				}
				return nil, false
			}
			in := args(t, "secret_key", "mac-key", "input", tt.data)
			if tt.alg != "" {
				in = args(t, "algorithm", tt.alg, "secret_key", "mac-key", "input", tt.data)
			}
			got, ok := CryptoHMAC(in, lookup)
			if !ok || string(got) != tt.want {
				t.Fatalf("CryptoHMAC = %q, %v; want %q", got, ok, tt.want)
			}
			if strings.IndexFunc(tt.key, func(r rune) bool { return r >= 0x80 }) < 0 {
				// Literal-key form (no lookup): secret_key is the key itself.
				lit := args(t, "algorithm", tt.alg, "secret_key", tt.key, "input", tt.data)
				op, _ := Find("crypto_hmac")
				if got, ok := op.Bytes(lit); !ok || string(got) != tt.want {
					t.Fatalf("crypto_hmac Bytes = %q, %v; want %q", got, ok, tt.want)
				}
			}
		})
	}
	if _, ok := CryptoHMAC(args(t, "secret_key", "missing", "input", "x"), func(string) ([]byte, bool) { return nil, false }); ok {
		t.Fatal("unknown secret name gave a result")
	}
}

func TestCryptoSignJWT(t *testing.T) {
	// The jwt.io example token, signed with "your-256-bit-secret".
	in := []byte(`{"algorithm":"HS256","secret_key":"your-256-bit-secret","claims":{"sub":"1234567890","name":"John Doe","iat":1516239022}}`)
	want := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	got, ok := CryptoSignJWT(in, nil)
	if !ok || string(got) != want {
		t.Fatalf("HS256 = %q, %v\nwant %q", got, ok, want)
	}

	for _, alg := range []string{"HS256", "HS384", "HS512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			seed := strings.Repeat("7", 32)
			secret := "jwt-secret-value"
			if alg == "EdDSA" {
				secret = hex.EncodeToString([]byte(seed))
			}
			lookup := func(string) ([]byte, bool) { return []byte(secret), true }
			in := []byte(`{"algorithm":"` + alg + `","secret_key":"k","claims":{"sub":"u1","role":"admin"}}`)
			tok, ok := CryptoSignJWT(in, lookup)
			if !ok {
				t.Fatal("no token")
			}
			parts := strings.Split(string(tok), ".")
			if len(parts) != 3 {
				t.Fatalf("token %q has %d parts", tok, len(parts))
			}
			var header map[string]string
			hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
			if err := json.Unmarshal(hb, &header); err != nil || header["alg"] != alg || header["typ"] != "JWT" {
				t.Fatalf("header %s: %v", hb, err)
			}
			pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
			if string(pb) != `{"sub":"u1","role":"admin"}` {
				t.Fatalf("payload %s", pb)
			}
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			if err != nil {
				t.Fatal(err)
			}
			signed := []byte(parts[0] + "." + parts[1])
			if alg == "EdDSA" {
				pub := ed25519.NewKeyFromSeed([]byte(seed)).Public().(ed25519.PublicKey)
				if !ed25519.Verify(pub, signed, sig) {
					t.Fatal("EdDSA signature does not verify")
				}
			} else if alg == "HS256" {
				m := hmac.New(sha256.New, []byte(secret))
				m.Write(signed)
				if !hmac.Equal(m.Sum(nil), sig) {
					t.Fatal("HS256 signature does not verify")
				}
			}
		})
	}
}

func TestCryptoAESRoundTrip(t *testing.T) {
	secrets := map[string][]byte{
		"k16":   []byte("0123456789abcdef"),
		"k32":   []byte("0123456789abcdef0123456789abcdef"),
		"other": []byte("any length passphrase"),
	}
	lookup := func(n string) ([]byte, bool) { v, ok := secrets[n]; return v, ok }
	for _, name := range []string{"k16", "k32", "other"} {
		for _, plain := range []string{"", "hello", strings.Repeat("x", 10000), "\x00 binary \u00e9"} {
			ct, ok := CryptoEncryptAES(args(t, "secret_key", name, "input", plain), lookup)
			if !ok {
				t.Fatalf("%s: encrypt failed", name)
			}
			raw, err := base64.StdEncoding.DecodeString(string(ct))
			if err != nil || len(raw) != 12+len(plain)+16 {
				t.Fatalf("%s: ciphertext %d bytes, err %v", name, len(raw), err)
			}
			got, ok := CryptoDecryptAES(args(t, "secret_key", name, "input", string(ct)), lookup)
			if !ok || string(got) != plain {
				t.Fatalf("%s: round trip = %q, %v", name, got, ok)
			}
			// Another key, or one flipped bit, must fail authentication.
			wrong := "k32"
			if name == "k32" {
				wrong = "k16"
			}
			if _, ok := CryptoDecryptAES(args(t, "secret_key", wrong, "input", string(ct)), lookup); ok {
				t.Fatalf("%s: decrypt with %s succeeded", name, wrong)
			}
			raw[len(raw)-1] ^= 1
			if _, ok := CryptoDecryptAES(args(t, "secret_key", name, "input", base64.StdEncoding.EncodeToString(raw)), lookup); ok {
				t.Fatalf("%s: tampered ciphertext decrypted", name)
			}
		}
	}
	// Two encryptions of the same plaintext differ (fresh nonce).
	a, _ := CryptoEncryptAES(args(t, "secret_key", "k", "input", "same"), nil)
	b, _ := CryptoEncryptAES(args(t, "secret_key", "k", "input", "same"), nil)
	if string(a) == string(b) {
		t.Fatal("nonce reused")
	}
}

func TestCryptoRandomBytes(t *testing.T) {
	for _, n := range []int32{1, 16, MaxRandomBytes} {
		got, ok := CryptoRandomBytes(n)
		if !ok || len(got) != 2*int(n) {
			t.Fatalf("CryptoRandomBytes(%d) = %d chars, %v", n, len(got), ok)
		}
		if _, err := hex.DecodeString(string(got)); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := CryptoRandomBytes(32)
	b, _ := CryptoRandomBytes(32)
	if string(a) == string(b) {
		t.Fatal("two random draws are equal")
	}
	for _, n := range []int32{0, -1, MaxRandomBytes + 1, 1 << 30} {
		if _, ok := CryptoRandomBytes(n); ok {
			t.Fatalf("CryptoRandomBytes(%d) gave a result", n)
		}
	}
}

// TestMalformedGivesNoResult feeds every JSON-taking op input it must
// refuse; none may panic or answer.
func TestMalformedGivesNoResult(t *testing.T) {
	bad := []string{
		"", "{", "[]", "null", `"x"`, "{}garbage", `{"algorithm":1}`, `{"secret_key":null}`,
		`{"algorithm":"sha256","input":5}`, "\xff\xfe", `{"algorithm":"blake3","input":"x"}`,
	}
	ops := map[string]func([]byte) ([]byte, bool){
		"crypto_hash":        CryptoHash,
		"crypto_hmac":        literalSecret(CryptoHMAC),
		"crypto_sign_jwt":    literalSecret(CryptoSignJWT),
		"crypto_encrypt_aes": literalSecret(CryptoEncryptAES),
		"crypto_decrypt_aes": literalSecret(CryptoDecryptAES),
	}
	for name, op := range ops {
		for _, in := range bad {
			if out, ok := op([]byte(in)); ok {
				t.Errorf("%s(%q) = %q, want no result", name, in, out)
			}
		}
	}
	more := []struct {
		name string
		op   func([]byte) ([]byte, bool)
		in   string
	}{
		{"jwt RS256 unsupported", literalSecret(CryptoSignJWT), `{"algorithm":"RS256","secret_key":"k","claims":{}}`},
		{"jwt claims not object", literalSecret(CryptoSignJWT), `{"algorithm":"HS256","secret_key":"k","claims":[1]}`},
		{"jwt EdDSA bad key", literalSecret(CryptoSignJWT), `{"algorithm":"EdDSA","secret_key":"short","claims":{}}`},
		{"hmac unknown algorithm", literalSecret(CryptoHMAC), `{"algorithm":"crc32","secret_key":"k","input":"x"}`},
		{"decrypt not base64", literalSecret(CryptoDecryptAES), `{"secret_key":"k","input":"%%%"}`},
		{"decrypt too short", literalSecret(CryptoDecryptAES), `{"secret_key":"k","input":"AAAA"}`},
		{"uuid v5", UUID, `{"version":"v5"}`},
		{"uuid not json", UUID, `v4`},
		{"timestamp not json", Timestamp, `unix`},
		{"base64 bad", Base64Decode, `@@@`},
		{"hex odd", HexDecode, `abc`},
		{"hex bad digit", HexDecode, `zz`},
		{"url bad escape", URLDecode, `%zz`},
	}
	for _, tt := range more {
		if out, ok := tt.op([]byte(tt.in)); ok {
			t.Errorf("%s: got %q, want no result", tt.name, out)
		}
	}
}
