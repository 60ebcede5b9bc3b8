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
// not at all. A record that is short, has a zero length, fails its CRC or
// does not parse is either a torn tail or damage. The writer appends a
// record only after the previous one's sync returned, and never after a
// failed write (it starts a new segment at open and after any failed
// write), so a bad record followed by no intact record is a torn tail (a
// write the crash interrupted, never acknowledged; zeros after the last
// record are the unused part of a pre-zeroed segment), while a bad record
// followed by an intact one is damage in acknowledged data.

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

// walScan is what scanWALSegment found in a segment.
type walScan struct {
	// Records and Muts count the intact records and their mutations.
	Records, Muts int
	// Torn: the segment ends in a torn record (bytes after the last intact
	// record that are not all zero and hold no intact record): a write the
	// crash interrupted, never acknowledged.
	Torn bool
	// Damaged lists damaged spans that intact records follow: damage in
	// acknowledged data, since an append starts only after the previous
	// one's sync returned.
	Damaged []walDamage
}

// walDamage is one damaged span of a segment.
type walDamage struct {
	Off, End int    // byte range
	Why      string // what is wrong at Off
	// Muts is the number of mutations lost when the span is one record
	// whose payload still parses (a damaged value), else -1 (unknown).
	Muts int
}

// walRecordAt checks the record at off: it returns its total length when
// it is intact (a nonzero length that fits, a matching CRC, a payload that
// parses), else 0 and what is wrong.
func walRecordAt(data []byte, off int, muts []Mutation) (n int, _ []Mutation, why string) {
	rest := data[off:]
	if len(rest) < walHeader {
		return 0, muts, "short record header"
	}
	l := binary.LittleEndian.Uint32(rest)
	if l == 0 {
		return 0, muts, "zero record length"
	}
	if l > walMaxRecord || uint64(l) > uint64(len(rest)-walHeader) {
		return 0, muts, fmt.Sprintf("record length %d runs past the end of the segment", l)
	}
	payload := rest[walHeader : walHeader+int(l)]
	if crc32.Checksum(payload, walCRC) != binary.LittleEndian.Uint32(rest[4:]) {
		return 0, muts, "record checksum mismatch"
	}
	muts, err := decodeWALPayload(payload, muts[:0])
	if err != nil {
		return 0, muts, "record payload malformed"
	}
	return walHeader + int(l), muts, ""
}

// scanWALSegment calls fn with the mutations of each intact record of data,
// in order, including those that follow damage (the caller decides whether
// to use them), and says where data is torn or damaged. At a bad record it
// looks for the next intact one: first where the bad record's own length
// says it ends (damage inside one record), else at every later offset.
// The mutations alias data and are valid only during the call. An error
// from fn stops the scan and is returned.
func scanWALSegment(data []byte, fn func(muts []Mutation) error) (walScan, error) {
	var sc walScan
	var muts []Mutation
	off := 0
	for off < len(data) {
		n, m, why := walRecordAt(data, off, muts)
		muts = m
		if n > 0 {
			if err := fn(muts); err != nil {
				return sc, err
			}
			sc.Records++
			sc.Muts += len(muts)
			off += n
			continue
		}
		next, lost := resyncWAL(data, off)
		if next < 0 {
			sc.Torn = !allZero(data[off:])
			return sc, nil
		}
		sc.Damaged = append(sc.Damaged, walDamage{Off: off, End: next, Why: why, Muts: lost})
		off = next
	}
	return sc, nil
}

// resyncWAL returns the offset of the next intact record after the bad one
// at off (-1 if none) and, when the bad record's length led there and its
// payload still parses, the number of mutations it held (else -1).
func resyncWAL(data []byte, off int) (next, lost int) {
	var muts []Mutation
	rest := data[off:]
	if len(rest) >= walHeader {
		l := int(binary.LittleEndian.Uint32(rest))
		if l > 0 && l <= walMaxRecord && l <= len(rest)-walHeader {
			end := off + walHeader + l
			if end < len(data) {
				if n, _, _ := walRecordAt(data, end, muts); n > 0 {
					lost = -1
					if m, err := decodeWALPayload(rest[walHeader:walHeader+l], nil); err == nil {
						lost = len(m)
					}
					return end, lost
				}
			}
		}
	}
	for q := off + 1; q+walHeader < len(data); q++ {
		l := binary.LittleEndian.Uint32(data[q:])
		if l == 0 || uint64(l) > uint64(len(data)-q-walHeader) {
			continue
		}
		if n, _, _ := walRecordAt(data, q, muts); n > 0 {
			return q, -1
		}
	}
	return -1, -1
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
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
