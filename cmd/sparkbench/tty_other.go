//go:build !linux

package main

import "os"

// terminalColumns is unknown off Linux; assume a usable terminal.
func terminalColumns(f *os.File) int { return 80 }
