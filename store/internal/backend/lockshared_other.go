//go:build !unix

package backend

import "time"

// lockShared does nothing where flock is missing: bbolt's own read-only
// open still waits for the writer's lock.
func lockShared(path string, timeout time.Duration) (func(), error) {
	return func() {}, nil
}
