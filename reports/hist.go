package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry: 1 ns to 1 h at 3 significant decimal digits.
const (
	histLowest  = 1
	histHighest = int64(time.Hour)
	histDigits  = 3
)

// Hist is an HDR histogram of durations in nanoseconds. It is sparse (its
// size grows with the number of distinct buckets used) and is encoded in
// JSON as HdrHistogram's V2 compressed encoding (base64), which keeps every
// bucket count: decoded histograms merge exactly.
type Hist struct{ h *hdr.PackedHistogram }

// NewHist returns an empty histogram with the package's geometry.
func NewHist() *Hist { return &Hist{h: hdr.NewPacked(histLowest, histHighest, histDigits)} }

// Record adds one duration, clamped to [0, 1h].
func (h *Hist) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	} else if v > histHighest {
		v = histHighest
	}
	_ = h.h.RecordValue(v)
}

// RecordN adds n samples of d.
func (h *Hist) RecordN(d time.Duration, n int64) {
	v := int64(d)
	if v < 0 {
		v = 0
	} else if v > histHighest {
		v = histHighest
	}
	_ = h.h.RecordValues(v, n)
}

// Merge adds every count of o to h.
func (h *Hist) Merge(o *Hist) {
	if o == nil || o.h == nil {
		return
	}
	h.h.Merge(o.h)
}

// Clone returns an independent copy.
func (h *Hist) Clone() *Hist { return &Hist{h: h.h.Clone()} }

// Count is the number of samples.
func (h *Hist) Count() int64 {
	if h == nil {
		return 0
	}
	return h.h.TotalCount()
}

// Quantile returns the value at quantile q in [0,1] (0 for an empty histogram).
func (h *Hist) Quantile(q float64) time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtPercentile(q * 100))
}

// Max returns the largest sample (to the histogram's precision).
func (h *Hist) Max() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.Max())
}

// Min returns the smallest sample (to the histogram's precision).
func (h *Hist) Min() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.Min())
}

// Mean returns the mean sample.
func (h *Hist) Mean() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.Mean())
}

// StdDev returns the standard deviation.
func (h *Hist) StdDev() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.StdDev())
}

// dense converts to the dense form, for percentile iteration.
func (h *Hist) dense() *hdr.Histogram {
	d := hdr.New(histLowest, histHighest, histDigits)
	if h != nil {
		h.h.MergeInto(d)
	}
	return d
}

// Equal reports whether both histograms hold the same bucket counts.
func (h *Hist) Equal(o *Hist) bool {
	a, err1 := h.encode()
	b, err2 := o.encode()
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

func (h *Hist) encode() ([]byte, error) {
	if h == nil || h.h == nil {
		return nil, fmt.Errorf("%w: nil", ErrHistogram)
	}
	if h.h.LowestTrackableValue() != histLowest || h.h.SignificantFigures() != histDigits {
		return h.h.Encode() // foreign geometry: let the library encode it
	}
	return encodeV2(h.h), nil
}

// V2 encoding constants (HdrHistogram's wire format).
const (
	v2EncodingCookie   = 0x1c849303
	v2CompressedCookie = 0x1c849304
)

var zlibPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.DefaultCompression)
	return w
}}

// encodeV2 writes HdrHistogram's V2 compressed encoding (base64) for a
// histogram of this package's geometry. The library's encoder allocates a
// best-compression zlib writer per histogram (~1 ms each); a run has a
// histogram per operation per second, so this one reuses pooled writers.
// The payload is the same (zero-run-length ZigZag LEB128 counts from index 0
// to the highest populated one), so any V2 decoder reads it.
func encodeV2(p *hdr.PackedHistogram) []byte {
	payload := make([]byte, 0, 64)
	next := 0 // next flat index to encode
	p.ForEachBucket(func(value, count int64) bool {
		c, off := fastIndex(value)
		idx := c<<10 | off
		if zeros := idx - next; zeros == 1 {
			payload = binary.AppendVarint(payload, 0)
		} else if zeros > 1 {
			payload = binary.AppendVarint(payload, -int64(zeros))
		}
		payload = binary.AppendVarint(payload, count)
		next = idx + 1
		return true
	})
	inner := make([]byte, 40, 40+len(payload))
	binary.BigEndian.PutUint32(inner[0:], v2EncodingCookie)
	binary.BigEndian.PutUint32(inner[4:], uint32(len(payload)))
	binary.BigEndian.PutUint32(inner[8:], 0)
	binary.BigEndian.PutUint32(inner[12:], uint32(histDigits))
	binary.BigEndian.PutUint64(inner[16:], uint64(histLowest))
	binary.BigEndian.PutUint64(inner[24:], uint64(p.HighestTrackableValue()))
	binary.BigEndian.PutUint64(inner[32:], math.Float64bits(1))
	inner = append(inner, payload...)

	var zb bytes.Buffer
	zb.Write(make([]byte, 8))
	w := zlibPool.Get().(*zlib.Writer)
	w.Reset(&zb)
	_, _ = w.Write(inner)
	_ = w.Close()
	zlibPool.Put(w)
	out := zb.Bytes()
	binary.BigEndian.PutUint32(out[0:], v2CompressedCookie)
	binary.BigEndian.PutUint32(out[4:], uint32(len(out)-8))
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(out)))
	base64.StdEncoding.Encode(enc, out)
	return enc
}

// MarshalJSON encodes the histogram as a base64 V2 compressed string.
func (h *Hist) MarshalJSON() ([]byte, error) {
	b, err := h.encode()
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON decodes a base64 V2 compressed string.
func (h *Hist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %v", ErrHistogram, err)
	}
	p, err := hdr.DecodePacked([]byte(s))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHistogram, err)
	}
	if p.LowestTrackableValue() != histLowest || p.HighestTrackableValue() < histHighest || p.SignificantFigures() != histDigits {
		return fmt.Errorf("%w: geometry %d..%d/%d, want %d..%d/%d", ErrHistogram,
			p.LowestTrackableValue(), p.HighestTrackableValue(), p.SignificantFigures(), histLowest, histHighest, histDigits)
	}
	// Counts are checked here, before anything sums them: a negative
	// bucket or a total beyond MaxCount would make merges and pooled
	// repeats overflow or go negative.
	var total int64
	var bad error
	p.ForEachBucket(func(_, count int64) bool {
		if count < 0 || count > MaxCount-total {
			bad = fmt.Errorf("%w: bucket count %d (total so far %d, at most %d)", ErrRange, count, total, int64(MaxCount))
			return false
		}
		total += count
		return true
	})
	if bad != nil {
		return bad
	}
	h.h = p
	return nil
}
