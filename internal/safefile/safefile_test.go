package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small", []byte("hello"))
	empty := write("empty", nil)
	exact := write("exact", make([]byte, 64))
	sparse := filepath.Join(dir, "sparse")
	if f, err := os.Create(sparse); err != nil {
		t.Fatal(err)
	} else {
		// 3 GiB that take no disk: the size check must refuse it unread.
		if err := f.Truncate(3 << 30); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		limit   int64
		want    string
		wantErr error
		msg     string
	}{
		{name: "small", path: small, limit: 1 << 20, want: "hello"},
		{name: "empty", path: empty, limit: 1 << 20, want: ""},
		{name: "exactly at the limit", path: exact, limit: 64, want: string(make([]byte, 64))},
		{name: "one byte over", path: exact, limit: 63, wantErr: ErrTooLarge, msg: "file too large: 64 B, limit 63 B"},
		{name: "sparse 3 GiB", path: sparse, limit: 8 << 20, wantErr: ErrTooLarge, msg: "3 GiB, limit 8 MiB"},
		{name: "symlink to a regular file", path: link, limit: 1 << 20, want: "hello"},
		{name: "directory", path: dir, limit: 1 << 20, wantErr: ErrNotRegular, msg: "not a regular file (a directory)"},
		{name: "FIFO", path: fifo, limit: 1 << 20, wantErr: ErrNotRegular, msg: "(a FIFO)"},
		{name: "/dev/zero", path: "/dev/zero", limit: 1 << 20, wantErr: ErrNotRegular, msg: "(a character device)"},
		{name: "/dev/urandom", path: "/dev/urandom", limit: 1 << 20, wantErr: ErrNotRegular},
		{name: "missing", path: filepath.Join(dir, "nope"), limit: 1 << 20, wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); tt.wantErr != fs.ErrNotExist && err != nil {
				t.Skipf("%s: %v", tt.path, err)
			}
			done := make(chan struct{})
			var got []byte
			var err error
			go func() {
				defer close(done)
				got, err = ReadFile(tt.path, tt.limit)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("ReadFile(%s) did not return", tt.path)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != tt.path {
					t.Errorf("err = %#v, want a *fs.PathError naming %s", err, tt.path)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("err = %q, want it to contain %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {1536, "1.5 KiB"},
		{8 << 20, "8 MiB"}, {3 << 30, "3 GiB"}, {3<<30 + 1<<29, "3.5 GiB"},
	} {
		if got := Size(tt.n); got != tt.want {
			t.Errorf("Size(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
