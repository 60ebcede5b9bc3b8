package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// ErrLocked: the store directory is held by a running store (another
// sparkbench); Reader does not wait for it.
var ErrLocked = backend.ErrLocked

// ErrNotStore: the directory holds no bbolt or pebble store.
var ErrNotStore = backend.ErrNotStore

// DefaultReaderLockTimeout is how long OpenReader waits for a bbolt file
// lock before answering ErrLocked.
const DefaultReaderLockTimeout = 500 * time.Millisecond

// ReaderOptions configure OpenReader.
type ReaderOptions struct {
	// Backend is BackendBbolt or BackendPebble; "" detects it from the
	// directory's files (DetectBackend).
	Backend Backend
	// Dir is the store's directory (Options.Dir of the store that wrote it).
	Dir string
	// LockTimeout bounds the wait for bbolt's file lock; 0 means
	// DefaultReaderLockTimeout.
	LockTimeout time.Duration
	// Now is the clock expiries are judged against; nil means time.Now.
	Now func() time.Time
}

// Reader reads a persisted store directory without changing it (no
// write, no WAL replay on disk, no deletion of expired entries): what
// sparkbench store shows. It sees what a reopen would load: live entries,
// the bbolt WAL included. Not safe for concurrent use.
type Reader struct {
	be      backend.Reader
	backend Backend
	now     func() time.Time
}

// DetectBackend names the backend whose files dir holds: bbolt
// (spark.db) or pebble (its manifest); ErrNotStore otherwise.
func DetectBackend(dir string) (Backend, error) {
	if _, err := os.Stat(filepath.Join(dir, "spark.db")); err == nil {
		return BackendBbolt, nil
	}
	if backend.IsPebbleDir(dir) {
		return BackendPebble, nil
	}
	return "", fmt.Errorf("store: %s: %w (neither bbolt's spark.db nor a pebble manifest)", dir, ErrNotStore)
}

// OpenReader opens o.Dir read-only. A directory held by a running store
// gives an error wrapping ErrLocked, not a wait.
func OpenReader(o ReaderOptions) (*Reader, error) {
	if o.Backend == "" {
		b, err := DetectBackend(o.Dir)
		if err != nil {
			return nil, err
		}
		o.Backend = b
	}
	if o.Backend == BackendMemory {
		return nil, fmt.Errorf("store: the memory backend keeps nothing on disk: %w", ErrNotStore)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultReaderLockTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	be, err := backend.OpenReader(string(o.Backend), o.Dir, o.LockTimeout)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", o.Dir, err)
	}
	return &Reader{be: be, backend: o.Backend, now: o.Now}, nil
}

// Backend names the backend read.
func (r *Reader) Backend() Backend { return r.backend }

// SiteSummary describes one site's live entries.
type SiteSummary struct {
	Site string
	Keys int
	// Bytes is what the entries count against the quota:
	// len(key)+len(value) each.
	Bytes int64
	// Expired counts entries on disk that have expired (a reopen drops
	// them); they are in neither Keys nor Bytes.
	Expired int
}

// Sites summarises every site with entries on disk, sorted by name.
func (r *Reader) Sites() ([]SiteSummary, error) {
	now := r.now().UnixNano()
	var out []SiteSummary
	err := r.be.Scan(nil, func(k, v []byte) error {
		site, key, value, exp, err := decode(k, v)
		if err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1].Site != string(site) {
			out = append(out, SiteSummary{Site: string(site)})
		}
		s := &out[len(out)-1]
		if exp != 0 && exp <= now {
			s.Expired++
			return nil
		}
		s.Keys++
		s.Bytes += int64(len(key) + len(value))
		return nil
	})
	slices.SortFunc(out, func(a, b SiteSummary) int { return strings.Compare(a.Site, b.Site) })
	return out, err
}

// decode splits a disk record, wrapping ErrCorrupt.
func decode(k, v []byte) (site, key, value []byte, exp int64, err error) {
	site, key, err = disk.SplitKey(k)
	if err != nil {
		return nil, nil, nil, 0, fmt.Errorf("store: disk key %q: %w", k, ErrCorrupt)
	}
	value, exp, err = disk.DecodeValue(v)
	if err != nil {
		return nil, nil, nil, 0, fmt.Errorf("store: site %q key %q: %w", site, key, ErrCorrupt)
	}
	return site, key, value, exp, nil
}

// Get returns the live entry of key in site; false when it is missing or
// expired.
func (r *Reader) Get(site, key string) (Entry, bool, error) {
	v, ok, err := r.be.Get(disk.AppendKey(nil, site, []byte(key)))
	if err != nil || !ok {
		return Entry{}, false, err
	}
	value, exp, err := disk.DecodeValue(v)
	if err != nil {
		return Entry{}, false, fmt.Errorf("store: site %q key %q: %w", site, key, ErrCorrupt)
	}
	if exp != 0 && exp <= r.now().UnixNano() {
		return Entry{}, false, nil
	}
	return Entry{Key: key, Value: append([]byte(nil), value...), ExpiresAt: exp}, true, nil
}

// Scan calls fn with every live entry of site whose key starts with
// prefix, in key order. An error from fn stops the scan and is returned.
func (r *Reader) Scan(site, prefix string, fn func(Entry) error) error {
	now := r.now().UnixNano()
	return r.be.Scan(disk.AppendKey(nil, site, []byte(prefix)), func(k, v []byte) error {
		_, key, value, exp, err := decode(k, v)
		if err != nil {
			return err
		}
		if exp != 0 && exp <= now {
			return nil
		}
		return fn(Entry{Key: string(key), Value: append([]byte(nil), value...), ExpiresAt: exp})
	})
}

// TTL is the entry's remaining time to live at now (0: no expiry), rounded
// up to whole seconds as spark_get reports it.
func (e Entry) TTL(now time.Time) time.Duration {
	if e.ExpiresAt == 0 {
		return 0
	}
	left := e.ExpiresAt - now.UnixNano()
	if left <= 0 {
		return 0
	}
	return time.Duration(ttlSecs(left)) * time.Second
}

// Close releases the directory; closing again does nothing.
func (r *Reader) Close() error {
	if r.be == nil {
		return nil
	}
	be := r.be
	r.be = nil
	return be.Close()
}
