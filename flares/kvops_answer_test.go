package flares

import (
	"fmt"
	"strings"
)

// kvopsHit is kvops's answer to "get KEY" for a hit (docs/CONTRACTS.md,
// kvops request language): the TTL, the length and the value
// percent-encoded ("~" when empty).
func kvopsHit(ttl int64, value []byte) string {
	return fmt.Sprintf("get hit ttl=%d len=%d value=%s", ttl, len(value), kvopsEncode(value))
}

func kvopsEncode(v []byte) string {
	if len(v) == 0 {
		return "~"
	}
	var b strings.Builder
	for _, c := range v {
		if c > ' ' && c < 0x7f && c != '%' && c != '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// KvopsHit is kvopsHit for the external tests (package flares_test).
var KvopsHit = kvopsHit
