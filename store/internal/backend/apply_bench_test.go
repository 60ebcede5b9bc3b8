package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkBboltApply measures one synced bbolt commit of a batch of
// 256-byte puts, the unit of work of the group committer, to show how the
// commit cost grows with the batch: keys=ranges spreads each batch over
// separate key ranges (one per writer, as BenchmarkSet in package store
// does), keys=shared draws them from one uniform key space.
//
//	go test -run '^$' -bench BboltApply -benchtime 300x ./store/internal/backend/
func BenchmarkBboltApply(b *testing.B) {
	for _, layout := range []string{"ranges", "shared"} {
		for _, batch := range []int{1, 32, 64} {
			b.Run(fmt.Sprintf("keys=%s/batch=%d", layout, batch), func(b *testing.B) {
				be, err := Open(context.Background(), "bbolt", Config{Dir: b.TempDir(), Sync: true})
				if err != nil {
					b.Fatal(err)
				}
				defer be.Close()
				value := make([]byte, 256)
				muts := make([]Mutation, batch)
				seq := make([]int, 64)
				rnd := uint64(1)
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					for j := range muts {
						var k []byte
						if layout == "ranges" {
							w := j % 64
							k = fmt.Appendf(nil, "w%02d:%06d", w, seq[w]%10000)
							seq[w]++
						} else {
							rnd = rnd*6364136223846793005 + 1442695040888963407
							k = fmt.Appendf(nil, "k:%08d", (rnd>>33)%640000)
						}
						muts[j] = Mutation{Key: k, Value: value}
					}
					if err := be.Apply(muts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "writes/s")
				// Where a commit's time goes, from bbolt's own counters:
				// spill (CPU: split and serialise dirty nodes) and write
				// (the page writes, the two syncs and the meta write).
				st := be.(*bboltDB).db.Stats().TxStats
				b.ReportMetric(float64(st.GetSpillTime().Microseconds())/float64(b.N), "spill-us/commit")
				b.ReportMetric(float64(st.GetWriteTime().Microseconds())/float64(b.N), "write-us/commit")
				b.ReportMetric(float64(st.GetWrite())/float64(b.N), "pagewrites/commit")
			})
		}
	}
}

// BenchmarkWALRecover measures opening bbolt with WAL segments to replay
// (as a crash leaves them): mib MiB of 256-byte puts over 64 key ranges,
// in records of 64 puts (one group commit each).
//
//	go test -run '^$' -bench WALRecover -benchtime 1x -count 3 ./store/internal/backend/
func BenchmarkWALRecover(b *testing.B) {
	for _, mib := range []int{4, 32} {
		b.Run(fmt.Sprintf("wal=%dMiB", mib), func(b *testing.B) {
			value := make([]byte, 256)
			var seg []byte
			muts := make([]Mutation, 64)
			n := 0
			for len(seg) < mib<<20 {
				for w := range muts {
					muts[w] = Mutation{Key: fmt.Appendf(nil, "w%02d:%06d", w, n), Value: value}
				}
				n++
				seg = appendWALRecord(seg, muts)
			}
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				openBboltOrFail(b, dir).Close()
				if err := os.WriteFile(filepath.Join(dir, walSegmentName(1)), seg, 0o644); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				openBboltOrFail(b, dir).Close()
			}
			b.ReportMetric(float64(n*len(muts)), "puts")
		})
	}
}

func openBboltOrFail(b *testing.B, dir string) Backend {
	be, err := Open(context.Background(), "bbolt", Config{Dir: dir, Sync: true})
	if err != nil {
		b.Fatal(err)
	}
	return be
}

// BenchmarkBoltCheck measures the walk of spark.db that Open makes before
// bbolt opens it (checkBoltFile), on 1M records of 100-byte values: the
// cost the check adds to every open.
//
//	go test -run '^$' -bench BoltCheck -benchtime 3x ./store/internal/backend/
func BenchmarkBoltCheck(b *testing.B) {
	dir := b.TempDir()
	be := openBboltOrFail(b, dir)
	value := make([]byte, 100)
	const n, batch = 1_000_000, 50_000
	for i := 0; i < n; i += batch {
		muts := make([]Mutation, batch)
		for j := range muts {
			muts[j] = Mutation{Key: fmt.Appendf(nil, "\x05site%dkey:%08d", (i+j)%4, i+j), Value: value}
		}
		if err := be.Apply(muts); err != nil {
			b.Fatal(err)
		}
	}
	be.Close()
	path := filepath.Join(dir, "spark.db")
	fi, _ := os.Stat(path)
	b.ResetTimer()
	for range b.N {
		chk, err := checkBoltFile(path, nil)
		if err != nil || len(chk.Damage) > 0 || chk.Records != n {
			b.Fatalf("check: %v, %+v", err, chk)
		}
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
}
