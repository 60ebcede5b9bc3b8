package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CorruptError reports damaged data on disk: the file (or, where the
// backend cannot tell which, its directory) and what is wrong with it. It
// wraps ErrCorrupt, and the underlying error if there is one.
type CorruptError struct {
	Path string
	What string
	Err  error
}

func (e *CorruptError) Error() string { return e.Path + ": " + e.What }

// Unwrap returns ErrCorrupt and the underlying error.
func (e *CorruptError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrCorrupt}
	}
	return []error{ErrCorrupt, e.Err}
}

// Recovery is what an open found on disk and, with Config.Recover, what it
// did about damage.
type Recovery struct {
	// TornTails counts WAL segments that ended in a torn record: the
	// normal end of a crash (a write that was never acknowledged),
	// dropped without a word.
	TornTails int
	// WALRecords counts the intact WAL records replayed.
	WALRecords int
	// Damage describes each damaged file or region found, one line each
	// ("path: what"). Without Config.Recover the open failed at the first.
	Damage []string
	// MovedAside lists where damaged files were moved ("from -> to").
	MovedAside []string
	// SalvagedRecords counts the records copied out of a damaged store;
	// DroppedRecords those known to be lost (a damaged WAL record's
	// writes, a leaf page's entries that do not decode).
	SalvagedRecords, DroppedRecords int64
	// UnknownLoss counts damaged regions whose records cannot be counted
	// (an unreadable branch page, a WAL span whose record framing is
	// gone, a pebble table or log that does not open): records there are
	// lost in addition to DroppedRecords.
	UnknownLoss int
}

// RecoveryReporter is implemented by the disk backends.
type RecoveryReporter interface{ Recovery() Recovery }

// damagedDir returns a fresh directory under dir for damaged files:
// dir/damaged-<UTC time>[-n].
func damagedDir(dir string) (string, error) {
	base := filepath.Join(dir, "damaged-"+time.Now().UTC().Format("20060102T150405Z"))
	for i := 0; ; i++ {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(name, 0o755)
		if err == nil {
			return name, nil
		}
		if !os.IsExist(err) {
			return "", classify("mkdir", name, err)
		}
	}
}

// moveAside renames path into the directory aside (same file system) and
// makes both directory entries durable.
func moveAside(path, aside string) (string, error) {
	to := filepath.Join(aside, filepath.Base(path))
	if err := os.Rename(path, to); err != nil {
		return "", classify("rename", path, err)
	}
	if err := syncDir(aside); err != nil {
		return "", classify("sync", aside, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return "", classify("sync", filepath.Dir(path), err)
	}
	return to, nil
}
