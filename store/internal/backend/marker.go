package backend

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MarkerName is the file that says a directory holds a store, and of which
// backend. Open writes it once the backend's files exist, so that a store
// whose files have gone (a spark.db deleted or truncated to zero bytes,
// pebble's files deleted) is told apart from a new, empty one.
const MarkerName = "SPARKSTORE"

const markerHeader = "sparkbench store"

// readMarker returns the backend named by dir's marker, or "" when there
// is none.
func readMarker(dir string) (string, error) {
	path := filepath.Join(dir, MarkerName)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", classify("read", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != markerHeader {
		return "", &CorruptError{Path: path, What: fmt.Sprintf("not a store marker (want first line %q)", markerHeader)}
	}
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "backend: "); ok && v != "" {
			return v, nil
		}
	}
	return "", &CorruptError{Path: path, What: "store marker names no backend"}
}

// writeMarker writes dir's marker durably (temporary file, sync, rename,
// directory sync).
func writeMarker(dir, backend string) error {
	path := filepath.Join(dir, MarkerName)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return classify("create", tmp, err)
	}
	_, err = fmt.Fprintf(f, "%s\nbackend: %s\nformat: 1\n", markerHeader, backend)
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
	case "bbolt":
		if exists("CURRENT") || exists("MANIFEST-*") || exists("marker.manifest.*") {
			return "pebble"
		}
	case "pebble":
		if exists("spark.db") || exists("wal-*.log") {
			return "bbolt"
		}
	}
	return ""
}
