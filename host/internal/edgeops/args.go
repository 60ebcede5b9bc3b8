package edgeops

import (
	"bytes"
	"encoding/json"
)

// decodeArgs decodes the JSON argument envelope the SDKs send into v. It
// accepts exactly one JSON object (surrounding white space allowed; Unmarshal
// rejects trailing data) and rejects anything else, including fields of the
// wrong type. Invalid UTF-8 inside strings becomes U+FFFD, as encoding/json
// does everywhere (the C SDK copies bytes into its JSON strings unchecked).
func decodeArgs(in []byte, v any) bool {
	trimmed := bytes.TrimSpace(in)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	return json.Unmarshal(trimmed, v) == nil
}

// resolveSecret returns the key material for name: through lookup when the
// host provides one, else the name's own bytes (see Op.Secret).
func resolveSecret(name string, lookup SecretLookup) ([]byte, bool) {
	if name == "" {
		return nil, false
	}
	if lookup == nil {
		return []byte(name), true
	}
	return lookup(name)
}
