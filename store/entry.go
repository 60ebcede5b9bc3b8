package store

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"unsafe"
)

// record is one indexed entry. The expiry, the lengths, the key and the
// value share one allocation:
//
//	expiresAt (8, LE unix ns; 0 = never) | len(value) (4) | len(key) (2) | key | value
//
// Records are immutable: an overwrite builds a new one, so a reader holding
// a record needs no lock, and keys and values handed out alias it safely.
type record struct{ p *byte }

const recordHeader = 8 + 4 + 2

// newRecord copies key and value into one allocation.
func newRecord(key, value []byte, expiresAt int64) record {
	buf := make([]byte, recordHeader+len(key)+len(value))
	binary.LittleEndian.PutUint64(buf, uint64(expiresAt))
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(value)))
	binary.LittleEndian.PutUint16(buf[12:], uint16(len(key)))
	copy(buf[recordHeader:], key)
	copy(buf[recordHeader+len(key):], value)
	return record{p: &buf[0]}
}

func (r record) header() []byte { return unsafe.Slice(r.p, recordHeader) }

// expiresAt returns the absolute expiry in unix ns; 0 = never.
func (r record) expiresAt() int64 { return int64(binary.LittleEndian.Uint64(r.header())) }

func (r record) valueLen() int { return int(binary.LittleEndian.Uint32(r.header()[8:])) }
func (r record) keyLen() int   { return int(binary.LittleEndian.Uint16(r.header()[12:])) }

// key returns the key, aliasing the record.
func (r record) key() string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(r.p), recordHeader)), r.keyLen())
}

// value returns the stored value; callers must not modify it.
func (r record) value() []byte {
	n := r.valueLen()
	if n == 0 {
		return []byte{} // never point past the allocation
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(r.p), recordHeader+r.keyLen())), n)
}

// size is what the record counts against the quota.
func (r record) size() int64 { return int64(r.keyLen() + r.valueLen()) }

// live reports whether r has not expired at now.
func (r record) live(now int64) bool {
	exp := r.expiresAt()
	return exp == 0 || exp > now
}

// index maps keys to records. It is keyed by a 64-bit seeded hash of the
// key rather than by the key itself: a slot of map[uint64]record is 16
// bytes where map[string]T would need at least 24, which matters at a
// million keys (Go's swiss tables run between 7/16 and 7/8 full). The
// record holds the key, so a lookup confirms it; the rare key whose hash is
// already taken by another key lives in the small overflow map.
//
// Not safe for concurrent use; Site guards it.
type index struct {
	seed     maphash.Seed
	mask     uint64 // all ones; tests narrow it to force collisions
	byHash   map[uint64]record
	overflow map[string]record
}

func newIndex() index {
	return index{seed: maphash.MakeSeed(), mask: ^uint64(0), byHash: make(map[uint64]record)}
}

func (x *index) hash(key string) uint64 {
	return maphash.Bytes(x.seed, unsafe.Slice(unsafe.StringData(key), len(key))) & x.mask
}

// get returns the record of key. key may alias a []byte (no allocation).
func (x *index) get(key string) (record, bool) {
	r, ok := x.byHash[x.hash(key)]
	if ok && r.key() == key {
		return r, true
	}
	if len(x.overflow) == 0 {
		return record{}, false
	}
	r, ok = x.overflow[key]
	return r, ok
}

// put inserts or replaces the record of r.key().
func (x *index) put(r record) {
	key := r.key()
	h := x.hash(key)
	cur, taken := x.byHash[h]
	if !taken || cur.key() == key {
		x.byHash[h] = r
		if len(x.overflow) > 0 {
			delete(x.overflow, key) // it may have lived there while h was taken
		}
		return
	}
	if x.overflow == nil {
		x.overflow = make(map[string]record)
	}
	x.overflow[key] = r // a 64-bit hash collision
}

// del removes key and returns its record.
func (x *index) del(key string) (record, bool) {
	h := x.hash(key)
	if r, ok := x.byHash[h]; ok && r.key() == key {
		delete(x.byHash, h)
		return r, true
	}
	if r, ok := x.overflow[key]; ok {
		delete(x.overflow, key)
		return r, true
	}
	return record{}, false
}

func (x *index) len() int { return len(x.byHash) + len(x.overflow) }

// all yields every record, starting at a random position (Go map
// iteration), which the sweeper's sampling relies on.
func (x *index) all() iter.Seq[record] {
	return func(yield func(record) bool) {
		for _, r := range x.byHash {
			if !yield(r) {
				return
			}
		}
		for _, r := range x.overflow {
			if !yield(r) {
				return
			}
		}
	}
}
