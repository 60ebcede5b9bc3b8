package backend

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Checking pebble's MANIFEST before pebble opens it.
//
// Pebble replays its MANIFEST (the log of version edits that says which
// tables make up the store) up to the first record that does not read and
// takes that for the end: damage in the middle of the MANIFEST silently
// drops every later edit, and with them the tables they added (their data
// is gone from the store without a word; TestPebbleDamageNeverPanics found
// such opens). checkPebbleManifest reads the MANIFEST in pebble's record
// format (LevelDB's log format: 32 KiB blocks of chunks, each a 7-byte
// header of masked CRC-32C, length and chunk type) and reports damage that
// intact chunks follow. A damaged last record cannot be told from a torn
// write and is left to pebble.

const (
	pebbleBlockSize  = 32 << 10
	pebbleChunkHead  = 7
	pebbleChunkFirst = 1 // full
	pebbleChunkLast  = 4 // full, first, middle, last
)

var pebbleCRC = crc32.MakeTable(crc32.Castagnoli)

// pebbleChunkAt returns the length of the intact chunk at off (header
// included), or 0.
func pebbleChunkAt(data []byte, off int) int {
	blockEnd := (off/pebbleBlockSize + 1) * pebbleBlockSize
	if off+pebbleChunkHead > min(blockEnd, len(data)) {
		return 0
	}
	h := data[off:]
	n := int(binary.LittleEndian.Uint16(h[4:]))
	typ := h[6]
	end := off + pebbleChunkHead + n
	if typ < pebbleChunkFirst || typ > pebbleChunkLast || end > min(blockEnd, len(data)) {
		return 0
	}
	c := crc32.Checksum(data[off+6:end], pebbleCRC)
	if uint32(c>>15|c<<17)+0xa282ead8 != binary.LittleEndian.Uint32(h) {
		return 0
	}
	return pebbleChunkHead + n
}

// scanPebbleLog returns the offset of the first bad chunk of a log in
// pebble's legacy record format and whether an intact chunk follows it
// (-1, false: none bad).
func scanPebbleLog(data []byte) (bad int, intactAfter bool) {
	off := 0
	for off < len(data) {
		if left := pebbleBlockSize - off%pebbleBlockSize; left < pebbleChunkHead {
			off += left // block trailer padding
			continue
		}
		if n := pebbleChunkAt(data, off); n > 0 {
			off += n
			continue
		}
		// Bad (or the zeroed end). Does anything intact come later: at
		// the start of any later block (chunks never straddle blocks), or
		// anywhere later in this block?
		for q := off + 1; q < len(data); q++ {
			if pebbleChunkAt(data, q) > 0 {
				return off, true
			}
		}
		return off, false
	}
	return -1, false
}

// checkPebbleManifest reports, as a *CorruptError, damage in the middle of
// dir's current MANIFEST, a MANIFEST that no longer starts with what it
// held at the last clean Close (m, from the store marker), and a WAL
// shorter than it was then.
func checkPebbleManifest(dir string, fs vfs.FS, m marker) error {
	if fs == nil {
		fs = vfs.Default
	}
	desc, err := pebble.Peek(dir, fs)
	if err != nil || !desc.Exists || desc.ManifestFilename == "" {
		return nil // pebble's own open says what is wrong
	}
	path := desc.ManifestFilename
	if !filepath.IsAbs(path) {
		path = fs.PathJoin(dir, path)
	}
	f, err := fs.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<30))
	if err != nil {
		return classify("read", path, err)
	}
	if m.manifest == filepath.Base(path) {
		switch {
		case int64(len(data)) < m.manifestSize:
			return &CorruptError{Path: path, What: fmt.Sprintf("cut short: %d bytes, %d at the last clean close", len(data), m.manifestSize)}
		case crc32.Checksum(data[:m.manifestSize], pebbleCRC) != m.manifestCRC:
			return &CorruptError{Path: path, What: fmt.Sprintf("its first %d bytes changed since the last clean close", m.manifestSize)}
		}
	}
	if bad, after := scanPebbleLog(data); after {
		return &CorruptError{Path: path, What: fmt.Sprintf("damaged record at offset %d, and intact records follow: pebble would drop every later version edit (and the tables they added)", bad)}
	}
	for name, size := range m.logs {
		fi, err := fs.Stat(fs.PathJoin(dir, name))
		if err == nil && fi.Size() < size {
			return &CorruptError{Path: fs.PathJoin(dir, name), What: fmt.Sprintf("WAL cut short: %d bytes, %d at the last clean close", fi.Size(), size)}
		}
	}
	return nil
}

// manifestMarker returns the marker of a pebble store in dir, with its
// current MANIFEST's name, size and checksum (after a clean close).
func manifestMarker(dir string, fs vfs.FS) (marker, error) {
	m := marker{backend: Pebble}
	if fs == nil {
		fs = vfs.Default
	}
	desc, err := pebble.Peek(dir, fs)
	if err != nil || !desc.Exists || desc.ManifestFilename == "" {
		return m, err
	}
	path := desc.ManifestFilename
	if !filepath.IsAbs(path) {
		path = fs.PathJoin(dir, path)
	}
	f, err := fs.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<30))
	if err != nil {
		return m, err
	}
	m.manifest, m.manifestSize, m.manifestCRC = filepath.Base(path), int64(len(data)), crc32.Checksum(data, pebbleCRC)
	names, err := fs.List(dir)
	if err != nil {
		return m, err
	}
	for _, name := range names {
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		if fi, err := fs.Stat(fs.PathJoin(dir, name)); err == nil {
			if m.logs == nil {
				m.logs = map[string]int64{}
			}
			m.logs[name] = fi.Size()
		}
	}
	return m, nil
}
