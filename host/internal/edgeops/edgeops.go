package edgeops

// Kind says which argument shape an op takes from the guest.
type Kind uint8

const (
	KindBytes Kind = iota // (ptr, len) in
	KindInt               // (i32) in
	KindNone              // no arguments
)

// SecretLookup resolves a secret name to its key material, from the calling
// site's secret store. It reports false for an unknown name.
type SecretLookup func(name string) ([]byte, bool)

// Op is one edge op, named as the flaron/v1 import it implements. Exactly one
// of Bytes, Int and None is set, according to Kind.
type Op struct {
	Name  string
	Kind  Kind
	Bytes func(in []byte) ([]byte, bool)
	Int   func(n int32) ([]byte, bool)
	None  func() ([]byte, bool)

	// Secret is set for the ops whose JSON arguments name a secret
	// (crypto_hmac, crypto_sign_jwt, crypto_encrypt_aes, crypto_decrypt_aes).
	// The SDKs pass the secret's NAME in "secret_key" and the platform
	// resolves the key material from the site's secrets; a host that knows
	// the site should call Secret with that site's lookup. Bytes, for these
	// ops, uses the "secret_key" string itself as the key material.
	Secret func(in []byte, lookup SecretLookup) ([]byte, bool)
}

// Ops returns every edge op: crypto_*, encoding_*, id_*, snowflake_id, timestamp.
// The slice is new on each call; the functions are safe for concurrent use.
func Ops() []Op {
	return []Op{
		{Name: "crypto_hash", Kind: KindBytes, Bytes: CryptoHash},
		{Name: "crypto_hmac", Kind: KindBytes, Bytes: literalSecret(CryptoHMAC), Secret: CryptoHMAC},
		{Name: "crypto_sign_jwt", Kind: KindBytes, Bytes: literalSecret(CryptoSignJWT), Secret: CryptoSignJWT},
		{Name: "crypto_encrypt_aes", Kind: KindBytes, Bytes: literalSecret(CryptoEncryptAES), Secret: CryptoEncryptAES},
		{Name: "crypto_decrypt_aes", Kind: KindBytes, Bytes: literalSecret(CryptoDecryptAES), Secret: CryptoDecryptAES},
		{Name: "crypto_random_bytes", Kind: KindInt, Int: CryptoRandomBytes},
		{Name: "encoding_base64_encode", Kind: KindBytes, Bytes: Base64Encode},
		{Name: "encoding_base64_decode", Kind: KindBytes, Bytes: Base64Decode},
		{Name: "encoding_hex_encode", Kind: KindBytes, Bytes: HexEncode},
		{Name: "encoding_hex_decode", Kind: KindBytes, Bytes: HexDecode},
		{Name: "encoding_url_encode", Kind: KindBytes, Bytes: URLEncode},
		{Name: "encoding_url_decode", Kind: KindBytes, Bytes: URLDecode},
		{Name: "id_uuid", Kind: KindBytes, Bytes: UUID},
		{Name: "id_ulid", Kind: KindNone, None: ULID},
		{Name: "id_nanoid", Kind: KindInt, Int: NanoID},
		{Name: "id_ksuid", Kind: KindNone, None: KSUID},
		{Name: "id_snowflake", Kind: KindNone, None: Snowflake},
		{Name: "snowflake_id", Kind: KindNone, None: Snowflake},
		{Name: "timestamp", Kind: KindBytes, Bytes: Timestamp},
	}
}

// Find returns the op named name.
func Find(name string) (Op, bool) {
	for _, op := range Ops() {
		if op.Name == name {
			return op, true
		}
	}
	return Op{}, false
}

// literalSecret adapts a secret-taking op to the plain Bytes form, in which
// the "secret_key" argument is the key material itself.
func literalSecret(f func([]byte, SecretLookup) ([]byte, bool)) func([]byte) ([]byte, bool) {
	return func(in []byte) ([]byte, bool) { return f(in, nil) }
}
