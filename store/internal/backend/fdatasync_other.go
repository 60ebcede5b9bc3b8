//go:build !linux

package backend

import "os"

func fdatasync(f *os.File) error { return f.Sync() }
