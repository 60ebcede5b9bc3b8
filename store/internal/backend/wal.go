package backend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The write-ahead log of the bbolt backend in group mode.
//
// A segment is a file wal-<seq>.log (seq: 20 decimal digits, so names sort
// by number) holding a sequence of records, one per Apply:
//
//	u32 length of payload | u32 CRC-32C (Castagnoli) of payload | payload
//
// little-endian, and the payload is
//
//	uvarint count, then count times:
//	  op (1 put, 2 delete) | uvarint len(key) | key | [put: uvarint len(value) | value]
//
// A record is the unit of atomicity: recovery applies a record whole or
// not at all. Reading a segment stops at its first record that is short,
// has a zero length, fails its CRC or does not parse: that is a torn tail
// (a write the crash interrupted, never acknowledged) and nothing after it
// in the same segment is trusted. The writer never appends after such a
// point: it starts a new segment at open and after any failed write.

const (
	walHeader   = 8
	walOpPut    = 1
	walOpDelete = 2
	// walMaxRecord bounds a record's payload, so that a corrupt length
	// cannot make the decoder allocate or skip gigabytes.
	walMaxRecord = 1 << 30
)

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// appendWALRecord appends the record of muts to dst.
func appendWALRecord(dst []byte, muts []Mutation) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, walHeader)...)
	dst = binary.AppendUvarint(dst, uint64(len(muts)))
	for _, m := range muts {
		if m.Delete {
			dst = append(dst, walOpDelete)
			dst = binary.AppendUvarint(dst, uint64(len(m.Key)))
			dst = append(dst, m.Key...)
			continue
		}
		dst = append(dst, walOpPut)
		dst = binary.AppendUvarint(dst, uint64(len(m.Key)))
		dst = append(dst, m.Key...)
		dst = binary.AppendUvarint(dst, uint64(len(m.Value)))
		dst = append(dst, m.Value...)
	}
	payload := dst[start+walHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, walCRC))
	return dst
}

// walRecordSize returns the encoded size of the record of muts.
func walRecordSize(muts []Mutation) int {
	n := walHeader + uvarintLen(uint64(len(muts)))
	for _, m := range muts {
		n += 1 + uvarintLen(uint64(len(m.Key))) + len(m.Key)
		if !m.Delete {
			n += uvarintLen(uint64(len(m.Value))) + len(m.Value)
		}
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// errWALPayload: a record's CRC matched but its payload does not parse.
var errWALPayload = errors.New("malformed payload")

// decodeWALPayload parses one record's payload. Keys and values alias p.
func decodeWALPayload(p []byte, muts []Mutation) ([]Mutation, error) {
	count, n := binary.Uvarint(p)
	if n <= 0 || count > uint64(len(p)) {
		return muts, errWALPayload
	}
	p = p[n:]
	field := func() ([]byte, bool) {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return nil, false
		}
		b := p[n : n+int(l) : n+int(l)]
		p = p[n+int(l):]
		return b, true
	}
	for range count {
		if len(p) == 0 {
			return muts, errWALPayload
		}
		op := p[0]
		p = p[1:]
		key, ok := field()
		if !ok {
			return muts, errWALPayload
		}
		switch op {
		case walOpDelete:
			muts = append(muts, Mutation{Key: key, Delete: true})
		case walOpPut:
			value, ok := field()
			if !ok {
				return muts, errWALPayload
			}
			muts = append(muts, Mutation{Key: key, Value: value})
		default:
			return muts, errWALPayload
		}
	}
	if len(p) != 0 {
		return muts, errWALPayload
	}
	return muts, nil
}

// decodeWALSegment calls fn with the mutations of each intact record of
// data, in order, and returns the length of the intact prefix (where a torn
// tail, if any, starts) and whether the whole of data was intact. The
// mutations alias data and are valid only during the call. An error from
// fn stops the decoding and is returned.
func decodeWALSegment(data []byte, fn func(muts []Mutation) error) (valid int, clean bool, err error) {
	var muts []Mutation
	off := 0
	for off < len(data) {
		rest := data[off:]
		if len(rest) < walHeader {
			return off, false, nil
		}
		l := binary.LittleEndian.Uint32(rest)
		sum := binary.LittleEndian.Uint32(rest[4:])
		if l == 0 || l > walMaxRecord || uint64(l) > uint64(len(rest)-walHeader) {
			return off, false, nil
		}
		payload := rest[walHeader : walHeader+int(l)]
		if crc32.Checksum(payload, walCRC) != sum {
			return off, false, nil
		}
		muts, err = decodeWALPayload(payload, muts[:0])
		if err != nil {
			return off, false, nil
		}
		if err := fn(muts); err != nil {
			return off, false, err
		}
		off += walHeader + int(l)
	}
	return off, true, nil
}

// walSegmentName returns the file name of segment seq.
func walSegmentName(seq uint64) string { return fmt.Sprintf("wal-%020d.log", seq) }

// walSegments lists the segment numbers present in dir, ascending.
func walSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "wal-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "wal-"), ".log"), 10, 64)
		if err != nil {
			continue // not ours
		}
		out = append(out, seq)
	}
	slices.Sort(out)
	return out, nil
}

// syncDir makes directory entry changes (a created segment) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeSegments deletes the segments of dir numbered up to upTo.
func removeSegments(dir string, upTo uint64) error {
	segs, err := walSegments(dir)
	if err != nil {
		return err
	}
	for _, seq := range segs {
		if seq > upTo {
			break
		}
		if err := os.Remove(filepath.Join(dir, walSegmentName(seq))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// WriteWALSegment writes batches as WAL segment seq of dir, one record per
// batch, as group commits would have left them before a crash (benchmarks
// and tests of reopen).
func WriteWALSegment(dir string, seq uint64, batches [][]Mutation) error {
	var data []byte
	for _, b := range batches {
		data = appendWALRecord(data, b)
	}
	return os.WriteFile(filepath.Join(dir, walSegmentName(seq)), data, 0o644)
}
