// Package record encodes Spark entries for the disk backends.
//
// A disk key is uvarint(len(site)) || site || key. The length prefix makes
// the encoding injective: sites that are prefixes of each other, and keys
// that look like separators, can never produce the same disk key.
//
// A disk value is version(1) || expiresAt(8, little-endian unix ns) ||
// crc32c(4, over expiresAt and value) || value, so the absolute expiry
// survives reopen and a torn or corrupt record is detected.
package record

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

const (
	version    = 1
	headerSize = 1 + 8 + 4
)

// ErrCorrupt reports a disk key or value that does not decode.
var ErrCorrupt = errors.New("corrupt record")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AppendKey appends the disk key of (site, key) to dst.
func AppendKey(dst []byte, site string, key []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(site)))
	dst = append(dst, site...)
	return append(dst, key...)
}

// SplitKey returns the site and key of a disk key. Both alias k.
func SplitKey(k []byte) (site, key []byte, err error) {
	n, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) < n {
		return nil, nil, ErrCorrupt
	}
	return k[w : w+int(n)], k[w+int(n):], nil
}

// AppendValue appends the disk value for value expiring at expiresAt (unix
// ns, 0 = never) to dst.
func AppendValue(dst []byte, value []byte, expiresAt int64) []byte {
	dst = append(dst, version)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(expiresAt))
	crc := crc32.Update(crc32.Checksum(dst[len(dst)-8:], castagnoli), castagnoli, value)
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return append(dst, value...)
}

// DecodeValue returns the value (aliasing v) and its expiry.
func DecodeValue(v []byte) (value []byte, expiresAt int64, err error) {
	if len(v) < headerSize || v[0] != version {
		return nil, 0, ErrCorrupt
	}
	exp := v[1:9]
	value = v[headerSize:]
	crc := crc32.Update(crc32.Checksum(exp, castagnoli), castagnoli, value)
	if crc != binary.LittleEndian.Uint32(v[9:13]) {
		return nil, 0, ErrCorrupt
	}
	return value, int64(binary.LittleEndian.Uint64(exp)), nil
}
