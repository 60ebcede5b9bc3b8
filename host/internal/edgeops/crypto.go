package edgeops

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strings"
)

// MaxRandomBytes caps crypto_random_bytes(n); the AssemblyScript SDK
// documents 1..256.
const MaxRandomBytes = 256

// hashes maps the algorithm names the SDKs send (AssemblyScript: sha1,
// sha256, sha384, sha512, md5; Zig also names blake2b and blake3, which the
// standard library lacks and which therefore give no result) to constructors.
var hashes = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

func hashByName(name string) (func() hash.Hash, bool) {
	n := strings.ToLower(strings.ReplaceAll(name, "-", ""))
	h, ok := hashes[n]
	return h, ok
}

// cryptoArgs is the envelope of crypto_hash, crypto_hmac and the AES ops:
// {"algorithm":"sha256","secret_key":"NAME","input":"..."}.
type cryptoArgs struct {
	Algorithm *string `json:"algorithm"`
	SecretKey *string `json:"secret_key"`
	Input     *string `json:"input"`
}

func (a cryptoArgs) input() []byte {
	if a.Input == nil {
		return nil
	}
	return []byte(*a.Input)
}

// CryptoHash implements crypto_hash: args {"algorithm","input"}; returns the
// lower-case hex digest of input.
func CryptoHash(in []byte) ([]byte, bool) {
	var a cryptoArgs
	if !decodeArgs(in, &a) || a.Algorithm == nil {
		return nil, false
	}
	newHash, ok := hashByName(*a.Algorithm)
	if !ok {
		return nil, false
	}
	h := newHash()
	h.Write(a.input())
	return hexOf(h.Sum(nil)), true
}

// CryptoHMAC implements crypto_hmac: args {"secret_key","input"} and an
// optional "algorithm" (default sha256; the C, Zig and AssemblyScript SDKs
// never send one); returns the lower-case hex MAC.
func CryptoHMAC(in []byte, lookup SecretLookup) ([]byte, bool) {
	var a cryptoArgs
	if !decodeArgs(in, &a) || a.SecretKey == nil {
		return nil, false
	}
	newHash := sha256.New
	if a.Algorithm != nil && *a.Algorithm != "" {
		h, ok := hashByName(*a.Algorithm)
		if !ok {
			return nil, false
		}
		newHash = h
	}
	key, ok := resolveSecret(*a.SecretKey, lookup)
	if !ok {
		return nil, false
	}
	m := hmac.New(newHash, key)
	m.Write(a.input())
	return hexOf(m.Sum(nil)), true
}

// jwtArgs is the envelope of crypto_sign_jwt:
// {"algorithm":"HS256","secret_key":"NAME","claims":{...}}. C and
// AssemblyScript send a flat string map; Zig sends any JSON object.
type jwtArgs struct {
	Algorithm string          `json:"algorithm"`
	SecretKey *string         `json:"secret_key"`
	Claims    json.RawMessage `json:"claims"`
}

// CryptoSignJWT implements crypto_sign_jwt: a compact JWS
// base64url(header).base64url(claims).base64url(signature) with header
// {"alg":ALG,"typ":"JWT"}. HS256, HS384 and HS512 sign with HMAC over the
// secret; EdDSA signs with Ed25519, the secret being a 32-byte seed or a
// 64-byte private key, raw, hex or base64. RS256 is not offered (no result).
// Claims are the object as sent, compacted; missing claims sign "{}".
func CryptoSignJWT(in []byte, lookup SecretLookup) ([]byte, bool) {
	var a jwtArgs
	if !decodeArgs(in, &a) || a.SecretKey == nil {
		return nil, false
	}
	alg := strings.ToUpper(a.Algorithm)
	if alg == "" {
		alg = "HS256"
	}
	if alg == "EDDSA" {
		alg = "EdDSA"
	}
	var claims bytes.Buffer
	if len(a.Claims) == 0 || string(a.Claims) == "null" {
		claims.WriteString("{}")
	} else {
		raw := bytes.TrimSpace(a.Claims)
		if raw[0] != '{' || json.Compact(&claims, raw) != nil {
			return nil, false
		}
	}
	key, ok := resolveSecret(*a.SecretKey, lookup)
	if !ok {
		return nil, false
	}
	enc := base64.RawURLEncoding
	header := `{"alg":"` + alg + `","typ":"JWT"}`
	signingInput := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString(claims.Bytes())
	var sig []byte
	switch alg {
	case "HS256", "HS384", "HS512":
		newHash := map[string]func() hash.Hash{"HS256": sha256.New, "HS384": sha512.New384, "HS512": sha512.New}[alg]
		m := hmac.New(newHash, key)
		m.Write([]byte(signingInput))
		sig = m.Sum(nil)
	case "EdDSA":
		priv, ok := ed25519Key(key)
		if !ok {
			return nil, false
		}
		sig = ed25519.Sign(priv, []byte(signingInput))
	default:
		return nil, false
	}
	return []byte(signingInput + "." + enc.EncodeToString(sig)), true
}

// ed25519Key reads an Ed25519 private key from a 32-byte seed or a 64-byte
// key, given raw, hex or base64 (standard or URL alphabet, padded or not).
func ed25519Key(material []byte) (ed25519.PrivateKey, bool) {
	// Text encodings first: 64 hex digits are a seed, not a raw 64-byte key.
	var candidates [][]byte
	if b, err := hex.DecodeString(string(material)); err == nil {
		candidates = append(candidates, b)
	}
	if b, ok := Base64Decode(material); ok {
		candidates = append(candidates, b)
	}
	candidates = append(candidates, material)
	for _, c := range candidates {
		switch len(c) {
		case ed25519.SeedSize:
			return ed25519.NewKeyFromSeed(c), true
		case ed25519.PrivateKeySize:
			return ed25519.NewKeyFromSeed(c[:ed25519.SeedSize]), true
		}
	}
	return nil, false
}

// aesKey derives the AES key from the secret: material of 16, 24 or 32
// bytes is used as is (AES-128/192/256); anything else is hashed with
// SHA-256 into an AES-256 key, so any secret works.
func aesKey(material []byte) []byte {
	switch len(material) {
	case 16, 24, 32:
		return material
	}
	sum := sha256.Sum256(material)
	return sum[:]
}

func newGCM(material []byte) (cipher.AEAD, bool) {
	block, err := aes.NewCipher(aesKey(material))
	if err != nil {
		return nil, false
	}
	gcm, err := cipher.NewGCM(block)
	return gcm, err == nil
}

// CryptoEncryptAES implements crypto_encrypt_aes: args {"secret_key",
// "input"}; AES-GCM with a fresh random 12-byte nonce; returns standard
// padded base64 of nonce || ciphertext || 16-byte tag.
func CryptoEncryptAES(in []byte, lookup SecretLookup) ([]byte, bool) {
	var a cryptoArgs
	if !decodeArgs(in, &a) || a.SecretKey == nil {
		return nil, false
	}
	key, ok := resolveSecret(*a.SecretKey, lookup)
	if !ok {
		return nil, false
	}
	gcm, ok := newGCM(key)
	if !ok {
		return nil, false
	}
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(a.input())+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, false
	}
	sealed := gcm.Seal(nonce, nonce, a.input(), nil)
	return []byte(base64.StdEncoding.EncodeToString(sealed)), true
}

// CryptoDecryptAES implements crypto_decrypt_aes: args {"secret_key",
// "input"} where input is what CryptoEncryptAES returned; returns the
// plaintext bytes. A wrong key or a tampered ciphertext gives no result.
func CryptoDecryptAES(in []byte, lookup SecretLookup) ([]byte, bool) {
	var a cryptoArgs
	if !decodeArgs(in, &a) || a.SecretKey == nil {
		return nil, false
	}
	key, ok := resolveSecret(*a.SecretKey, lookup)
	if !ok {
		return nil, false
	}
	sealed, ok := Base64Decode(a.input())
	if !ok {
		return nil, false
	}
	gcm, ok := newGCM(key)
	if !ok || len(sealed) < gcm.NonceSize()+gcm.Overhead() {
		return nil, false
	}
	nonce, ct := sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():]
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, false
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, true
}

// CryptoRandomBytes implements crypto_random_bytes(n): n random bytes from
// crypto/rand, hex-encoded (every SDK hex-decodes the answer). n outside
// 1..MaxRandomBytes gives no result.
func CryptoRandomBytes(n int32) ([]byte, bool) {
	if n < 1 || n > MaxRandomBytes {
		return nil, false
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, false
	}
	return hexOf(b), true
}

func hexOf(b []byte) []byte {
	out := make([]byte, hex.EncodedLen(len(b)))
	hex.Encode(out, b)
	return out
}
