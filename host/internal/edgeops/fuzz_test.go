package edgeops

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzCryptoHash: any input string hashes to the digest of the bytes the
// envelope carried; arbitrary envelopes never panic.
func FuzzCryptoHash(f *testing.F) {
	f.Add("abc", []byte(`{"algorithm":"md5"}`))
	f.Add("\x00\n\"", []byte(`{`))
	f.Fuzz(func(t *testing.T, input string, raw []byte) {
		CryptoHash(raw)
		env, _ := json.Marshal(map[string]string{"algorithm": "sha256", "input": input})
		var sent cryptoArgs
		decodeArgs(env, &sent)
		got, ok := CryptoHash(env)
		sum := sha256.Sum256([]byte(*sent.Input))
		if !ok || string(got) != hex.EncodeToString(sum[:]) {
			t.Fatalf("CryptoHash(%q) = %q, %v", input, got, ok)
		}
	})
}

// FuzzCryptoSignJWT: for any claim and secret, the token's payload is the
// claims and its HS256 signature verifies.
func FuzzCryptoSignJWT(f *testing.F) {
	f.Add("sub", "user-1", "secret")
	f.Add("", "\"\\", "\x00")
	f.Fuzz(func(t *testing.T, claim, value, secret string) {
		claims, _ := json.Marshal(map[string]string{claim: value})
		in := []byte(`{"algorithm":"HS256","secret_key":"s","claims":` + string(claims) + `}`)
		tok, ok := CryptoSignJWT(in, func(string) ([]byte, bool) { return []byte(secret), true })
		if !ok {
			t.Fatalf("no token for claims %s", claims)
		}
		parts := strings.Split(string(tok), ".")
		if len(parts) != 3 {
			t.Fatalf("token %q", tok)
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		var back map[string]string
		if err != nil || json.Unmarshal(payload, &back) != nil || len(back) != 1 {
			t.Fatalf("payload %q: %v", payload, err)
		}
		var want map[string]string
		json.Unmarshal(claims, &want)
		if back[claim] != want[claim] {
			t.Fatalf("claim %q = %q, want %q", claim, back[claim], want[claim])
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(parts[0] + "." + parts[1]))
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		if !hmac.Equal(sig, m.Sum(nil)) {
			t.Fatal("signature does not verify")
		}
	})
}

// FuzzUUIDAndTimestamp: arbitrary argument bytes never panic, and every
// answer is well formed.
func FuzzUUIDAndTimestamp(f *testing.F) {
	f.Add([]byte(`{"version":"v7"}`))
	f.Add([]byte(`{"format":"http"}`))
	f.Add([]byte(`{"version":7}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if u, ok := UUID(in); ok && !uuidRE.Match(u) {
			t.Fatalf("UUID(%q) = %q", in, u)
		}
		if ts, ok := Timestamp(in); ok && len(ts) == 0 {
			t.Fatalf("Timestamp(%q) empty", in)
		}
	})
}

// BenchmarkOps measures each op with typical arguments (measured under
// shared-machine load: compare runs with benchstat, not absolute values).
func BenchmarkOps(b *testing.B) {
	inputs := map[string][]byte{
		"crypto_hash":            []byte(`{"algorithm":"sha256","input":"hello world"}`),
		"crypto_hmac":            []byte(`{"secret_key":"k","input":"hello world"}`),
		"crypto_sign_jwt":        []byte(`{"algorithm":"HS256","secret_key":"k","claims":{"sub":"u1"}}`),
		"crypto_encrypt_aes":     []byte(`{"secret_key":"k","input":"hello world"}`),
		"encoding_base64_encode": []byte(strings.Repeat("x", 256)),
		"encoding_hex_encode":    []byte(strings.Repeat("x", 256)),
		"encoding_url_encode":    []byte("a b&c=d/e?f"),
		"id_uuid":                []byte(`{"version":"v7"}`),
		"timestamp":              []byte(`{"format":"rfc3339"}`),
	}
	lookup := func(string) ([]byte, bool) { return []byte("0123456789abcdef0123456789abcdef"), true }
	ct, _ := CryptoEncryptAES(inputs["crypto_encrypt_aes"], lookup)
	inputs["crypto_decrypt_aes"] = []byte(`{"secret_key":"k","input":"` + string(ct) + `"}`)
	for _, enc := range []string{"base64", "hex", "url"} {
		op, _ := Find("encoding_" + enc + "_encode")
		inputs["encoding_"+enc+"_decode"], _ = op.Bytes(inputs["encoding_"+enc+"_encode"])
	}
	for _, op := range Ops() {
		b.Run(op.Name, func(b *testing.B) {
			in := inputs[op.Name]
			b.ReportAllocs()
			for b.Loop() {
				switch {
				case op.Secret != nil:
					op.Secret(in, lookup)
				case op.Bytes != nil:
					op.Bytes(in)
				case op.Int != nil:
					op.Int(21)
				default:
					op.None()
				}
			}
		})
	}
}
