//go:build unix

package backend

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockShared takes a shared flock on path, waiting up to timeout while
// another process holds it exclusively (a running store), and returns its
// release.
func lockShared(path string, timeout time.Duration) (func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bbolt: %w", classify("open", path, err))
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("bbolt: %s: %w (its file lock was still held after %v)", path, ErrLocked, timeout)
			}
			return nil, fmt.Errorf("bbolt: lock %s: %w", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
