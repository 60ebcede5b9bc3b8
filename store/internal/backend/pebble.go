package backend

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

type pebbleDB struct {
	db *pebble.DB
	wo *pebble.WriteOptions
}

func openPebble(cfg Config) (*pebbleDB, error) {
	opts := &pebble.Options{Logger: quietLogger{}}
	if cfg.FS != nil {
		opts.FS = cfg.FS
	}
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("pebble: open %s: %w", cfg.Dir, err)
	}
	wo := pebble.NoSync
	if cfg.Sync {
		wo = pebble.Sync
	}
	return &pebbleDB{db: db, wo: wo}, nil
}

func (p *pebbleDB) Apply(muts []Mutation) error {
	b := p.db.NewBatch()
	defer b.Close()
	for _, m := range muts {
		var err error
		if m.Delete {
			err = b.Delete(m.Key, nil)
		} else {
			err = b.Set(m.Key, m.Value, nil)
		}
		if err != nil {
			return err
		}
	}
	return b.Commit(p.wo)
}

func (p *pebbleDB) Scan(fn func(key, value []byte) error) error {
	it, err := p.db.NewIter(nil)
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}

func (p *pebbleDB) Persistent() bool { return true }
func (p *pebbleDB) Close() error     { return p.db.Close() }

// quietLogger drops pebble's informational chatter; fatal errors still
// stop the process, as pebble requires.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{})  {}
func (quietLogger) Errorf(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}
