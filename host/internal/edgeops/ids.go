package edgeops

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// uuidArgs is the envelope of id_uuid: {"version":"v4"} or {"version":"v7"}
// (every SDK sends "v4"/"v7"; "4"/"7" are accepted too).
type uuidArgs struct {
	Version string `json:"version"`
}

// UUID implements id_uuid: an RFC 9562 UUID in the canonical 36-character
// form. Empty arguments mean v4; an unknown version gives no result.
func UUID(in []byte) ([]byte, bool) {
	var a uuidArgs
	if len(in) > 0 && !decodeArgs(in, &a) {
		return nil, false
	}
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return nil, false
	}
	switch a.Version {
	case "", "v4", "4":
		u[6] = u[6]&0x0f | 0x40
	case "v7", "7":
		ms := uint64(time.Now().UnixMilli())
		for i := 0; i < 6; i++ {
			u[i] = byte(ms >> (40 - 8*i))
		}
		u[6] = u[6]&0x0f | 0x70
	default:
		return nil, false
	}
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant 10xx
	return formatUUID(u), true
}

func formatUUID(u [16]byte) []byte {
	out := make([]byte, 36)
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], u[10:16])
	return out
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulidGen makes ULIDs that are strictly increasing within the process: in
// the same millisecond (or if the clock steps back) the 80-bit random part
// of the previous ULID is incremented, as the ULID spec's monotonic mode.
type ulidGen struct {
	mu     sync.Mutex
	now    func() time.Time
	lastMs uint64
	last   [10]byte
}

var defaultULID = &ulidGen{now: time.Now}

// ULID implements id_ulid: 26 characters of Crockford base32 encoding a
// 48-bit millisecond timestamp and 80 bits of randomness, monotonic.
func ULID() ([]byte, bool) { return defaultULID.next() }

func (g *ulidGen) next() ([]byte, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(g.now().UnixMilli())
	if ms <= g.lastMs && g.lastMs != 0 {
		ms = g.lastMs
		// Increment the 80-bit random part; on overflow move to the next ms.
		i := len(g.last) - 1
		for ; i >= 0; i-- {
			g.last[i]++
			if g.last[i] != 0 {
				break
			}
		}
		if i < 0 {
			ms++
		}
	} else if _, err := rand.Read(g.last[:]); err != nil {
		return nil, false
	}
	if ms >= 1<<48 {
		return nil, false
	}
	g.lastMs = ms
	var b [16]byte
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	copy(b[6:], g.last[:])
	return encodeULID(b), true
}

// encodeULID writes 128 bits as 26 base32 digits, most significant first;
// the first digit holds only the top 3 bits, so it is at most '7'.
func encodeULID(b [16]byte) []byte {
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	out := make([]byte, 26)
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return out
}

// nanoAlphabet is NanoID's URL-safe alphabet; 64 symbols, so a random byte
// masked to 6 bits picks one without bias.
const nanoAlphabet = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"

// DefaultNanoIDLength is the length used when the guest asks for 0.
const DefaultNanoIDLength = 21

// MaxNanoIDLength caps id_nanoid(n).
const MaxNanoIDLength = 256

// NanoID implements id_nanoid(n): n symbols (0 or less: 21) of the URL
// alphabet; n above MaxNanoIDLength gives no result.
func NanoID(n int32) ([]byte, bool) {
	if n <= 0 {
		n = DefaultNanoIDLength
	}
	if n > MaxNanoIDLength {
		return nil, false
	}
	out := make([]byte, n)
	if _, err := rand.Read(out); err != nil {
		return nil, false
	}
	for i, b := range out {
		out[i] = nanoAlphabet[b&63]
	}
	return out, true
}

// ksuidEpoch is the KSUID epoch (2014-05-13T16:53:20Z) in Unix seconds.
const ksuidEpoch = 1400000000

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// KSUID implements id_ksuid: a 20-byte KSUID (32-bit seconds since the
// KSUID epoch, big endian, then 128 random bits) as 27 base62 characters,
// zero-padded, so that the string order is the time order.
func KSUID() ([]byte, bool) { return newKSUID(time.Now()) }

func newKSUID(t time.Time) ([]byte, bool) {
	secs := t.Unix() - ksuidEpoch
	if secs < 0 || secs > 0xffffffff {
		return nil, false
	}
	var b [20]byte
	b[0], b[1], b[2], b[3] = byte(secs>>24), byte(secs>>16), byte(secs>>8), byte(secs)
	if _, err := rand.Read(b[4:]); err != nil {
		return nil, false
	}
	return encodeKSUID(b), true
}

// encodeKSUID writes 160 bits as 27 base62 digits, zero-padded, by long
// division of five 32-bit limbs.
func encodeKSUID(b [20]byte) []byte {
	var limbs [5]uint32
	for i := range limbs {
		limbs[i] = uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
	}
	out := make([]byte, 27)
	for i := 26; i >= 0; i-- {
		var rem uint64
		for j := range limbs {
			cur := rem<<32 | uint64(limbs[j])
			limbs[j] = uint32(cur / 62)
			rem = cur % 62
		}
		out[i] = base62[rem]
	}
	return out
}
