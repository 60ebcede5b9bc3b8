package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallBolt returns the bytes of a small bbolt store of n records (several
// leaf pages and a branch page from n = 200 on), closed.
func smallBolt(t testing.TB, n int) []byte {
	t.Helper()
	dir := t.TempDir()
	b, err := Open(context.Background(), "bbolt", Config{Dir: dir, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	var muts []Mutation
	for i := range n {
		muts = append(muts, Mutation{Key: fmt.Appendf(nil, "\x01skey%04d", i), Value: []byte(strings.Repeat("v", i%50))})
	}
	if err := b.Apply(muts); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "spark.db"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzBoltCheck: whatever spark.db holds, the check never fails inside
// (a panic of its own is reported as an internal error), and a file it
// finds no damage in opens and scans without bbolt panicking or faulting.
func FuzzBoltCheck(f *testing.F) {
	f.Add(smallBolt(f, 3))
	f.Add(smallBolt(f, 300))
	f.Add([]byte{})
	f.Add(make([]byte, 8192))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "spark.db")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		chk, err := checkBoltFile(path, func(k, v []byte) error { return nil })
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if len(chk.Damage) > 0 || len(data) == 0 {
			return
		}
		b, err := Open(context.Background(), "bbolt", Config{Dir: dir})
		if err != nil {
			return // bbolt may refuse what it cannot use; it must not panic
		}
		defer b.Close()
		n := int64(0)
		b.Scan(func(k, v []byte) error { n++; return nil })
		if n != chk.Records {
			t.Fatalf("check counted %d records, bbolt scans %d", chk.Records, n)
		}
		b.Apply([]Mutation{{Key: []byte("\x01snew"), Value: []byte("x")}, {Key: []byte("\x01skey0001"), Delete: true}})
	})
}
