package edgeops

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
)

// Base64Encode implements encoding_base64_encode: standard alphabet, padded.
func Base64Encode(in []byte) ([]byte, bool) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(in)))
	base64.StdEncoding.Encode(out, in)
	return out, true
}

// base64Decoders are tried in order: what Base64Encode produces first, then
// the unpadded and URL-safe variants guests also meet (JWT segments).
var base64Decoders = []*base64.Encoding{
	base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
}

// Base64Decode implements encoding_base64_decode. It accepts standard or
// URL-safe alphabets, padded or not; anything else gives no result.
func Base64Decode(in []byte) ([]byte, bool) {
	for _, enc := range base64Decoders {
		out := make([]byte, enc.DecodedLen(len(in)))
		n, err := enc.Decode(out, in)
		if err == nil {
			return out[:n], true
		}
	}
	return nil, false
}

// HexEncode implements encoding_hex_encode (lower case).
func HexEncode(in []byte) ([]byte, bool) { return hexOf(in), true }

// HexDecode implements encoding_hex_decode (either case); odd length or a
// non-hex digit gives no result.
func HexDecode(in []byte) ([]byte, bool) {
	out := make([]byte, hex.DecodedLen(len(in)))
	n, err := hex.Decode(out, in)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// URLEncode implements encoding_url_encode with query escaping (space is
// "+", everything outside [A-Za-z0-9-_.~] is %XX), as Go's url.QueryEscape.
func URLEncode(in []byte) ([]byte, bool) {
	return []byte(url.QueryEscape(string(in))), true
}

// URLDecode implements encoding_url_decode, the inverse of URLEncode ("+"
// is a space); a malformed %-escape gives no result.
func URLDecode(in []byte) ([]byte, bool) {
	s, err := url.QueryUnescape(string(in))
	if err != nil {
		return nil, false
	}
	return []byte(s), true
}
