package backend

import (
	"errors"
	"fmt"
	"time"

	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

var bboltBucket = []byte("spark")

// bboltDB keeps every record in one bucket; the disk key encoding keeps
// sites apart.
type bboltDB struct{ db *bolt.DB }

func openBbolt(cfg Config) (*bboltDB, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("bbolt: %w", err)
	}
	path := filepath.Join(cfg.Dir, "spark.db")
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		// bbolt waits for the file lock; do not hang forever when another
		// process holds the directory.
		Timeout:        2 * time.Second,
		NoSync:         !cfg.Sync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("bbolt: open %s: locked by another process: %w", path, err)
		}
		return nil, fmt.Errorf("bbolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bboltBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bbolt: create bucket: %w", err)
	}
	return &bboltDB{db: db}, nil
}

func (b *bboltDB) Apply(muts []Mutation) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bboltBucket)
		for _, m := range muts {
			var err error
			if m.Delete {
				err = bk.Delete(m.Key)
			} else {
				err = bk.Put(m.Key, m.Value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *bboltDB) Scan(fn func(key, value []byte) error) error {
	return b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bboltBucket).ForEach(fn)
	})
}

func (b *bboltDB) Persistent() bool { return true }
func (b *bboltDB) Close() error     { return b.db.Close() }
