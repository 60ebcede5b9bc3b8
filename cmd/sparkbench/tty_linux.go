//go:build linux

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// terminalColumns returns the width of the terminal f, or 0 when unknown
// (a pseudo-terminal nobody sized, for instance: mpb would draw nothing).
func terminalColumns(f *os.File) int {
	var ws struct{ Row, Col, X, Y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0
	}
	return int(ws.Col)
}
