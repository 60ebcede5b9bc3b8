package backend

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MarkerName is the file that says a directory holds a store, and of which
// backend. Open writes it once the backend's files exist, so that a store
// whose files have gone (a spark.db deleted or truncated to zero bytes,
// pebble's files deleted) is told apart from a new, empty one.
const MarkerName = "SPARKSTORE"

const markerHeader = "sparkbench store"

// marker is what a store marker says.
type marker struct {
	backend string
	// manifest, for pebble: the MANIFEST at the last clean Close, its
	// size and the CRC-32C of its content then (pebble only appends to a
	// MANIFEST, so it must still start with those bytes).
	manifest     string
	manifestSize int64
	manifestCRC  uint32
	// logs, for pebble: the size of each WAL file at the last clean
	// Close. A WAL never shrinks (pebble recycles one under a new name),
	// so one found shorter was cut: pebble would read the cut as a torn
	// tail and drop the writes after it.
	logs map[string]int64
}

// readMarker returns what dir's marker says; backend is "" when there is
// none.
func readMarker(dir string) (marker, error) {
	path := filepath.Join(dir, MarkerName)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return marker{}, nil
	}
	if err != nil {
		return marker{}, classify("read", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != markerHeader {
		return marker{}, &CorruptError{Path: path, What: fmt.Sprintf("not a store marker (want first line %q)", markerHeader)}
	}
	var m marker
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "backend: "); ok && v != "" {
			m.backend = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "pebble-manifest: "); ok {
			if _, err := fmt.Sscanf(v, "%s %d %d", &m.manifest, &m.manifestSize, &m.manifestCRC); err != nil {
				m.manifest = ""
			}
		}
		if v, ok := strings.CutPrefix(sc.Text(), "pebble-log: "); ok {
			var name string
			var size int64
			if _, err := fmt.Sscanf(v, "%s %d", &name, &size); err == nil {
				if m.logs == nil {
					m.logs = map[string]int64{}
				}
				m.logs[name] = size
			}
		}
	}
	if m.backend == "" {
		return marker{}, &CorruptError{Path: path, What: "store marker names no backend"}
	}
	return m, nil
}

// writeMarker writes dir's marker durably (temporary file, sync, rename,
// directory sync).
func writeMarker(dir string, m marker) error {
	path := filepath.Join(dir, MarkerName)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return classify("create", tmp, err)
	}
	_, err = fmt.Fprintf(f, "%s\nbackend: %s\nformat: 1\n", markerHeader, m.backend)
	if err == nil && m.manifest != "" {
		_, err = fmt.Fprintf(f, "pebble-manifest: %s %d %d\n", m.manifest, m.manifestSize, m.manifestCRC)
	}
	for _, name := range slices.Sorted(maps.Keys(m.logs)) {
		if err == nil {
			_, err = fmt.Fprintf(f, "pebble-log: %s %d\n", name, m.logs[name])
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store marker: %w", classify("write", path, err))
	}
	return nil
}

// foreignStore returns the name of another backend whose files dir holds
// ("" if none), for directories written before markers existed.
func foreignStore(dir, backend string) string {
	exists := func(pattern string) bool {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		return len(m) > 0
	}
	switch backend {
	case Bbolt:
		if exists("CURRENT") || exists("MANIFEST-*") || exists("marker.manifest.*") {
			return Pebble
		}
	case Pebble:
		if exists("spark.db") || exists("wal-*.log") {
			return Bbolt
		}
	}
	return ""
}
