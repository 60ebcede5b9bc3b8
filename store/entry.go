package store

import (
	"encoding/binary"
	"unsafe"
)

// entry is the index's value for one key. The key, the expiry, the value
// length and the value share one allocation:
//
//	key bytes | expiresAt (8, LE unix ns; 0 = never) | len(value) (4, LE) | value
//
// The map's key string points at the start of that allocation and entry.p
// at the expiry, so a map slot is 24 bytes (string header + pointer) and an
// entry costs one allocation. Records are immutable: an overwrite builds a
// new one, so a reader holding p needs no lock.
type entry struct{ p *byte }

const entryHeader = 8 + 4

// newRecord copies key and value into one allocation and returns the index
// key (aliasing it) and the entry.
func newRecord(key, value []byte, expiresAt int64) (string, entry) {
	buf := make([]byte, len(key)+entryHeader+len(value))
	copy(buf, key)
	h := buf[len(key):]
	binary.LittleEndian.PutUint64(h, uint64(expiresAt))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(value)))
	copy(h[entryHeader:], value)
	return unsafe.String(&buf[0], len(key)), entry{p: &h[0]}
}

func (e entry) header() []byte { return unsafe.Slice(e.p, entryHeader) }

// expiresAt returns the absolute expiry in unix ns; 0 = never.
func (e entry) expiresAt() int64 { return int64(binary.LittleEndian.Uint64(e.header())) }

func (e entry) valueLen() int { return int(binary.LittleEndian.Uint32(e.header()[8:])) }

// value returns the stored value; callers must not modify it.
func (e entry) value() []byte {
	n := e.valueLen()
	if n == 0 {
		return []byte{} // never point past the allocation
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(e.p), entryHeader)), n)
}

// live reports whether e has not expired at now.
func (e entry) live(now int64) bool {
	exp := e.expiresAt()
	return exp == 0 || exp > now
}
