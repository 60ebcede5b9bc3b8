package backend

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/debug"
)

// Checking a bbolt file before bbolt opens it.
//
// bbolt trusts its file: on a damaged one it panics with an assertion
// ("Page expected to be ...") or, reading a page id past the end of a
// truncated file, faults on its memory map; when the freelist is not
// synced (our NoFreelistSync) it walks every page at open in a goroutine
// of its own, where a panic cannot be recovered. So Open first walks the
// file itself, reading it with pread (never a memory map), and checks
// everything bbolt's walk relies on: the meta pages, the file size against
// the high-water mark, page ids, page types, element bounds, key order and
// that no page is reached twice. The checks follow bbolt's own Tx.Check
// (tx_check.go) and its on-disk layout (internal/common: page.go, meta.go,
// bucket.go), file format version 2.
//
// The file is read through a read-only memory map of its current size:
// every access is bounds-checked against that size, and a read the device
// fails (which faults on a map) is turned into a panic by
// debug.SetPanicOnFault and reported as an I/O error.

const (
	boltMagic          = 0xED0CDAED
	boltVersion        = 2
	boltPageHeader     = 16 // id u64, flags u16, count u16, overflow u32
	boltElementSize    = 16 // leaf: flags, pos, ksize, vsize u32; branch: pos, ksize u32, pgid u64
	boltBucketHeader   = 16 // root pgid u64, sequence u64
	boltBranchFlag     = 0x01
	boltLeafFlag       = 0x02
	boltMetaFlag       = 0x04
	boltFreelistFlag   = 0x10
	boltBucketLeafFlag = 0x01
	boltNoFreelist     = ^uint64(0)
	boltMaxDepth       = 64
)

// boltMeta is a decoded meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64 // pgid: the high-water mark, in pages
	txid     uint64
}

// boltCheck is what checkBoltFile found.
type boltCheck struct {
	path     string
	fileSize int64
	meta     boltMeta
	// Records counts the intact key/value records of the spark bucket.
	Records int64
	// Checkpoint is the WAL checkpoint recorded in spark-meta;
	// CheckpointOK is false when it could not be read.
	Checkpoint   uint64
	CheckpointOK bool
	// Damage describes each damaged page or structure.
	Damage []string
	// Dropped counts records on damaged leaf pages whose count is known;
	// Unknown counts damaged regions whose records cannot be counted.
	Dropped int64
	Unknown int

	data    []byte   // the file, mapped
	visited []uint64 // bitset of reached page ids
	// visit, if set, receives each intact record of the spark bucket in
	// key order.
	visit func(k, v []byte) error
	err   error // an I/O error or visit's error: stops the walk
}

// checkBoltFile walks the bbolt file at path. It returns an error only when
// reading fails or visit fails; damage is reported in the result.
func checkBoltFile(path string, visit func(k, v []byte) error) (*boltCheck, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, classify("open", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, classify("stat", path, err)
	}
	c := &boltCheck{path: path, fileSize: fi.Size(), visit: visit}
	if c.fileSize > 0 {
		if int64(int(c.fileSize)) != c.fileSize {
			return nil, fmt.Errorf("bbolt: check %s: %d bytes do not fit in memory", path, c.fileSize)
		}
		var unmap func()
		c.data, unmap, err = mapFile(f, int(c.fileSize))
		if err != nil {
			return nil, classify("mmap", path, err)
		}
		defer unmap()
	}
	func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if re, ok := r.(interface{ Addr() uintptr }); ok && re != nil {
				// A fault on the map: the device failed the read (or the
				// file shrank under us).
				c.err = &FaultError{Kind: ErrIO, Op: "read", Path: path, Err: fmt.Errorf("%v", r)}
				return
			}
			// A bug here must not take the process down with it.
			c.err = fmt.Errorf("bbolt: check %s: internal error: %v", path, r)
		}()
		c.run()
	}()
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

func (c *boltCheck) damaged(format string, args ...any) {
	c.Damage = append(c.Damage, fmt.Sprintf(format, args...))
}

// slice returns the n bytes of the file at off, or false where the file
// is shorter.
func (c *boltCheck) slice(off, n int64) ([]byte, bool) {
	if off < 0 || n < 0 || off+n > c.fileSize || off+n < off {
		return nil, false
	}
	return c.data[off : off+n : off+n], true
}

// readAt copies len(b) bytes at off into b, or reports false where the
// file is shorter.
func (c *boltCheck) readAt(b []byte, off int64) bool {
	src, ok := c.slice(off, int64(len(b)))
	copy(b, src)
	return ok
}

func (c *boltCheck) run() {
	meta, why := c.readMetas()
	if why != "" {
		c.damaged("%s", why)
		c.Unknown++
		return
	}
	c.meta = meta
	ps := int64(meta.pageSize)
	if need := int64(meta.hwm) * ps; c.fileSize < need {
		c.damaged("truncated: the file is %d bytes, its meta page says %d (%d pages of %d bytes)", c.fileSize, need, meta.hwm, ps)
	}
	c.visited = make([]uint64, (min(meta.hwm, uint64(c.fileSize/ps)+1)+63)/64)
	c.mark(0)
	c.mark(1)
	if meta.freelist != boltNoFreelist {
		c.checkFreelist(meta.freelist)
	}
	if meta.root == 0 {
		c.damaged("meta page: root bucket has page id 0")
		c.Unknown++
		return
	}
	// The root bucket's tree holds one bucket entry per top-level bucket:
	// ours are "spark" and "spark-meta". Anything else is a damaged name
	// (bbolt would then create an empty "spark" beside it: a silent loss).
	c.walk(meta.root, nil, nil, 0, "root", func(_ string, flags uint32, k, v []byte) bool {
		name := string(k)
		switch {
		case name != string(bboltBucket) && name != string(bboltMeta):
			c.damaged("unknown top-level entry %q (a damaged bucket name?)", k)
			c.Unknown++
		case flags&boltBucketLeafFlag == 0:
			c.damaged("top-level entry %q is not a bucket", k)
			c.Unknown++
		default:
			c.walkBucket(name, v)
		}
		return c.err == nil
	})
}

// readMetas returns the meta bbolt would use: the valid one with the
// higher transaction id.
func (c *boltCheck) readMetas() (boltMeta, string) {
	var buf [boltPageHeader + 64]byte
	m0, why0 := c.readMeta(buf[:], 0)
	if c.err != nil {
		return boltMeta{}, ""
	}
	// The second meta page is one page in; the first, if valid, gives the
	// page size, else try the sizes bbolt tries.
	sizes := []int64{4096, 1024, 2048, 8192, 16384, 32768, 65536}
	if why0 == "" {
		sizes = []int64{int64(m0.pageSize)}
	}
	var m1 boltMeta
	why1 := "second meta page unreadable"
	for _, ps := range sizes {
		m, why := c.readMeta(buf[:], ps)
		if c.err != nil {
			return boltMeta{}, ""
		}
		if why == "" && int64(m.pageSize) == ps {
			m1, why1 = m, ""
			break
		}
		why1 = why
	}
	switch {
	case why0 == "" && why1 == "":
		if m1.txid > m0.txid {
			return m1, ""
		}
		return m0, ""
	case why0 == "":
		return m0, ""
	case why1 == "":
		return m1, ""
	}
	if c.fileSize < 2*1024 {
		return boltMeta{}, fmt.Sprintf("truncated: the file is %d bytes, shorter than its two meta pages", c.fileSize)
	}
	return boltMeta{}, fmt.Sprintf("both meta pages are invalid (first: %s; second: %s)", why0, why1)
}

func (c *boltCheck) readMeta(buf []byte, off int64) (boltMeta, string) {
	if !c.readAt(buf, off) {
		return boltMeta{}, "unreadable (file too short)"
	}
	h := buf[boltPageHeader:]
	le := binary.LittleEndian
	if le.Uint16(buf[8:]) != boltMetaFlag {
		return boltMeta{}, "not a meta page"
	}
	if le.Uint32(h) != boltMagic {
		return boltMeta{}, "bad magic"
	}
	if le.Uint32(h[4:]) != boltVersion {
		return boltMeta{}, fmt.Sprintf("format version %d, want %d", le.Uint32(h[4:]), boltVersion)
	}
	sum := fnv.New64a()
	sum.Write(h[:56])
	if sum.Sum64() != le.Uint64(h[56:]) {
		return boltMeta{}, "checksum mismatch"
	}
	m := boltMeta{
		pageSize: le.Uint32(h[8:]),
		root:     le.Uint64(h[16:]),
		freelist: le.Uint64(h[32:]),
		hwm:      le.Uint64(h[40:]),
		txid:     le.Uint64(h[48:]),
	}
	if m.pageSize < 512 || m.pageSize > 1<<24 || m.pageSize&(m.pageSize-1) != 0 {
		return boltMeta{}, fmt.Sprintf("page size %d", m.pageSize)
	}
	if m.hwm < 2 || m.root >= m.hwm || (m.freelist != boltNoFreelist && m.freelist >= m.hwm) {
		return boltMeta{}, fmt.Sprintf("page ids out of range (root %d, freelist %d, high-water mark %d)", m.root, m.freelist, m.hwm)
	}
	return m, ""
}

// mark records that page id was reached; false if it already was.
func (c *boltCheck) mark(id uint64) bool {
	w, b := id/64, uint64(1)<<(id%64)
	if w >= uint64(len(c.visited)) {
		return true // beyond the file: reported by readPage
	}
	if c.visited[w]&b != 0 {
		return false
	}
	c.visited[w] |= b
	return true
}

// readPage returns page id with its overflow pages, or says why it
// cannot.
func (c *boltCheck) readPage(id uint64) ([]byte, string) {
	ps := int64(c.meta.pageSize)
	if id < 2 || id >= c.meta.hwm {
		return nil, fmt.Sprintf("page id %d out of range [2, %d)", id, c.meta.hwm)
	}
	p, ok := c.slice(int64(id)*ps, ps)
	if !ok {
		return nil, fmt.Sprintf("page %d lies beyond the end of the file (truncated)", id)
	}
	le := binary.LittleEndian
	if got := le.Uint64(p); got != id {
		return nil, fmt.Sprintf("page %d calls itself page %d", id, got)
	}
	overflow := uint64(le.Uint32(p[12:]))
	if id+overflow >= c.meta.hwm {
		return nil, fmt.Sprintf("page %d overflows %d pages past the high-water mark %d", id, overflow, c.meta.hwm)
	}
	for i := uint64(0); i <= overflow; i++ {
		if !c.mark(id + i) {
			return nil, fmt.Sprintf("page %d is reached twice", id+i)
		}
	}
	if overflow > 0 {
		if p, ok = c.slice(int64(id)*ps, (int64(overflow)+1)*ps); !ok {
			return nil, fmt.Sprintf("page %d (%d bytes) runs beyond the end of the file (truncated)", id, (overflow+1)*uint64(ps))
		}
	}
	return p, ""
}

func (c *boltCheck) checkFreelist(id uint64) {
	p, why := c.readPage(id)
	if why != "" {
		c.damaged("freelist: %s", why)
		c.Unknown++
		return
	}
	if flags := binary.LittleEndian.Uint16(p[8:]); flags != boltFreelistFlag {
		c.damaged("freelist page %d has page type %#x", id, flags)
	}
}

// walkBucket walks the bucket whose entry value is v.
func (c *boltCheck) walkBucket(name string, v []byte) {
	if len(v) < boltBucketHeader {
		c.damaged("bucket %q: entry of %d bytes, shorter than a bucket header", name, len(v))
		c.Unknown++
		return
	}
	root := binary.LittleEndian.Uint64(v)
	visit := func(_ string, flags uint32, k, val []byte) bool {
		if flags&boltBucketLeafFlag != 0 {
			// Our buckets hold no buckets: a damaged element flag.
			c.damaged("bucket %q: entry %q is marked as a nested bucket", name, k)
			c.Dropped++
			return true
		}
		switch name {
		case string(bboltBucket):
			c.Records++
			if c.visit != nil {
				if err := c.visit(k, val); err != nil {
					c.err = err
					return false
				}
			}
		case string(bboltMeta):
			if bytes.Equal(k, bboltCheckpointKey) && len(val) == 8 {
				c.Checkpoint, c.CheckpointOK = binary.LittleEndian.Uint64(val), true
			}
		}
		return true
	}
	if root != 0 {
		c.walk(root, nil, nil, 0, name, visit)
		return
	}
	// An inline bucket: its root page follows the header in the value.
	c.walkPage(v[boltBucketHeader:], 0, nil, nil, 0, name, visit)
}

// walk checks page id and its subtree: every key in [lo, hi) (nil: no
// bound). leaf is called for each element of each intact leaf page.
func (c *boltCheck) walk(id uint64, lo, hi []byte, depth int, bucket string, leaf func(bucket string, flags uint32, k, v []byte) bool) {
	if c.err != nil {
		return
	}
	if depth > boltMaxDepth {
		c.damaged("bucket %q: tree deeper than %d at page %d", bucket, boltMaxDepth, id)
		c.Unknown++
		return
	}
	p, why := c.readPage(id)
	if why != "" {
		c.damaged("bucket %q: %s", bucket, why)
		c.Unknown++
		return
	}
	c.walkPage(p, id, lo, hi, depth, bucket, leaf)
}

// boltWhere names a page in damage reports (formatted only then).
type boltWhere struct {
	bucket string
	id     uint64
}

func (w boltWhere) String() string {
	if w.id == 0 {
		return fmt.Sprintf("bucket %q: inline page", w.bucket)
	}
	return fmt.Sprintf("bucket %q: page %d", w.bucket, w.id)
}

// walkPage checks the page p (id 0 for an inline page).
func (c *boltCheck) walkPage(p []byte, id uint64, lo, hi []byte, depth int, bucket string, leaf func(bucket string, flags uint32, k, v []byte) bool) {
	le := binary.LittleEndian
	where := boltWhere{bucket, id}
	if len(p) < boltPageHeader {
		c.damaged("%s: %d bytes, shorter than a page header", where, len(p))
		c.Unknown++
		return
	}
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	if flags != boltBranchFlag && flags != boltLeafFlag {
		c.damaged("%s: page type %#x, want a branch or leaf page", where, flags)
		c.Unknown++
		return
	}
	if boltPageHeader+count*boltElementSize > len(p) {
		c.damaged("%s: %d elements do not fit in %d bytes", where, count, len(p))
		c.Unknown++
		return
	}
	// field returns the n bytes at element offset + pos, if they lie in p.
	field := func(elem, pos, n int) ([]byte, bool) {
		start := elem + pos
		if pos < 0 || n < 0 || start < elem || start+n > len(p) || start+n < start {
			return nil, false
		}
		return p[start : start+n], true
	}
	if flags == boltBranchFlag {
		if id == 0 {
			c.damaged("%s: an inline page is a branch page", where)
			c.Unknown++
			return
		}
		type child struct {
			key []byte
			id  uint64
		}
		kids := make([]child, count) // keys alias the map
		for i := range count {
			e := boltPageHeader + i*boltElementSize
			k, ok := field(e, int(le.Uint32(p[e:])), int(le.Uint32(p[e+4:])))
			if !ok {
				c.damaged("%s: branch element %d runs past the page", where, i)
				c.Unknown++
				return
			}
			if (i == 0 && lo != nil && bytes.Compare(k, lo) < 0) || (i > 0 && bytes.Compare(k, kids[i-1].key) <= 0) ||
				(hi != nil && bytes.Compare(k, hi) >= 0) {
				c.damaged("%s: branch key %d out of order", where, i)
				c.Unknown++
				return
			}
			kids[i] = child{k, le.Uint64(p[e+8:])}
		}
		for i, kid := range kids {
			next := hi
			if i+1 < len(kids) {
				next = kids[i+1].key
			}
			c.walk(kid.id, kid.key, next, depth+1, bucket, leaf)
			if c.err != nil {
				return
			}
		}
		return
	}
	// A leaf: check every element before handing any out, so that a
	// damaged page is dropped whole.
	var prev []byte
	for i := range count {
		e := boltPageHeader + i*boltElementSize
		eflags := le.Uint32(p[e:])
		k, ok := field(e, int(le.Uint32(p[e+4:])), int(le.Uint32(p[e+8:])))
		if ok {
			_, ok = field(e, int(le.Uint32(p[e+4:]))+len(k), int(le.Uint32(p[e+12:])))
		}
		switch {
		case !ok:
			c.damaged("%s: leaf element %d runs past the page", where, i)
		case eflags&^boltBucketLeafFlag != 0:
			c.damaged("%s: leaf element %d has flags %#x", where, i, eflags)
			ok = false
		case (i == 0 && lo != nil && bytes.Compare(k, lo) < 0) || (i > 0 && bytes.Compare(k, prev) <= 0) ||
			(hi != nil && bytes.Compare(k, hi) >= 0):
			c.damaged("%s: leaf key %d out of order", where, i)
			ok = false
		}
		if !ok {
			c.Dropped += int64(count)
			return
		}
		prev = k
	}
	for i := range count {
		e := boltPageHeader + i*boltElementSize
		pos := int(le.Uint32(p[e+4:]))
		ks, vs := int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
		k := p[e+pos : e+pos+ks]
		if !leaf(bucket, le.Uint32(p[e:]), k, p[e+pos+ks:e+pos+ks+vs]) {
			return
		}
	}
}
