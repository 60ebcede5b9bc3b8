package edgeops

import (
	"bytes"
	"encoding/json"
)

// decodeArgs decodes the JSON argument envelope the SDKs send into v. It
// accepts exactly one JSON object (surrounding white space allowed) and
// rejects anything else, including fields of the wrong type.
func decodeArgs(in []byte, v any) bool {
	trimmed := bytes.TrimSpace(in)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		return false
	}
	// Trailing garbage after the object is malformed input.
	return !dec.More() && dec.InputOffset() == int64(len(trimmed))
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
