//go:build !unix

package backend

import (
	"io"
	"os"
)

// mapFile reads the first size bytes of f (no memory map here).
func mapFile(f *os.File, size int) (data []byte, unmap func(), err error) {
	data = make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, int64(size)), data); err != nil {
		return nil, nil, err
	}
	return data, func() {}, nil
}
