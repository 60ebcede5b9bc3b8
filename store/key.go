package store

// MaxKeyBytes is the longest valid key.
const MaxKeyBytes = 256

// Reserved key prefixes: keys starting with these belong to the platform.
const (
	reservedFlaron = "__flaron:"
	reservedSys    = "__sys:"
)

var keyByteOK = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range ":._-" {
		t[c] = true
	}
	return t
}()

// ValidKey reports whether key is a valid Spark key: 1..256 bytes of
// [a-zA-Z0-9:._-], not starting with "__flaron:" or "__sys:".
func ValidKey(key []byte) bool {
	if len(key) == 0 || len(key) > MaxKeyBytes {
		return false
	}
	for _, c := range key {
		if !keyByteOK[c] {
			return false
		}
	}
	// string(b) == s comparisons do not allocate.
	if len(key) >= len(reservedFlaron) && string(key[:len(reservedFlaron)]) == reservedFlaron {
		return false
	}
	if len(key) >= len(reservedSys) && string(key[:len(reservedSys)]) == reservedSys {
		return false
	}
	return true
}
