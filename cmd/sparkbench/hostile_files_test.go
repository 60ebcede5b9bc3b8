package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostileInputFiles: every command that reads a file a user names
// refuses devices, FIFOs, directories and oversized files with one line
// naming the path and exit 2, without reading them (a FIFO would block,
// /dev/zero would exhaust memory).
func TestHostileInputFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else {
		if err := f.Truncate(3 << 30); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		f.Close()
	}
	flareWorkload := func(flare string) string {
		p := filepath.Join(dir, filepath.Base(flare)+".yaml")
		y := "name: x\nsites: [{domain: s.example}]\nscenarios:\n  - name: a\n    flare: " + flare +
			"\n    site: s.example\n    executor: {type: constant-arrival-rate, rate: 10/s}\n"
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hugeWasm := filepath.Join(dir, "huge.wasm")
	if err := os.Symlink(huge, hugeWasm); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join("testdata", "report", "result.json")

	cases := []struct {
		name string
		args []string
		want string // in the one stderr line
	}{
		{"validate /dev/zero", []string{"validate", "/dev/zero"}, "/dev/zero: cannot read workload: not a regular file (a character device)"},
		{"validate FIFO", []string{"validate", fifo}, "not a regular file (a FIFO)"},
		{"validate directory", []string{"validate", dir}, "not a regular file (a directory)"},
		{"validate huge workload", []string{"validate", huge}, "file too large: 3 GiB, limit 8 MiB"},
		{"run /dev/urandom", []string{"run", "--quiet", "/dev/urandom"}, "not a regular file (a character device)"},
		{"flare /dev/zero", []string{"validate", flareWorkload("/dev/zero")}, "cannot read flare /dev/zero: not a regular file"},
		{"flare FIFO", []string{"validate", flareWorkload(fifo)}, "not a regular file (a FIFO)"},
		{"flare 3 GiB", []string{"validate", flareWorkload(hugeWasm)}, "file too large: 3 GiB, limit 64 MiB"},
		{"inspect /dev/zero", []string{"inspect", "/dev/zero"}, "read /dev/zero: not a regular file"},
		{"inspect FIFO", []string{"inspect", fifo}, "(a FIFO)"},
		{"inspect 3 GiB", []string{"inspect", hugeWasm}, "file too large"},
		{"report /dev/zero", []string{"report", "/dev/zero"}, "read /dev/zero: not a regular file"},
		{"report FIFO", []string{"report", fifo}, "(a FIFO)"},
		{"compare FIFO", []string{"compare", ok, fifo}, "(a FIFO)"},
		{"compare 3 GiB", []string{"compare", huge, ok}, "file too large: 3 GiB, limit 1 GiB"},
		{"merge /dev/zero", []string{"merge", filepath.Join(dir, "out.json"), ok, "/dev/zero"}, "not a regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				stderr string
				code   int
			}
			done := make(chan result, 1)
			go func() {
				_, stderr, code := invoke(tc.args)
				done <- result{stderr, code}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("sparkbench %s did not return", strings.Join(tc.args, " "))
			}
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, exitUsage, r.stderr)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("stderr has %d lines, want one:\n%s", n+1, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tc.want)
			}
		})
	}
}
