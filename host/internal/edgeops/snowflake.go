package edgeops

import (
	"strconv"
	"sync"
	"time"
)

// SnowflakeEpochMs is the epoch of snowflake IDs (Twitter's, 2010-11-04),
// in Unix milliseconds; the Zig SDK calls the IDs "Twitter-style".
const SnowflakeEpochMs = 1288834974657

const (
	snowflakeWorkerBits = 10
	snowflakeSeqBits    = 12
	snowflakeMaxSeq     = 1<<snowflakeSeqBits - 1
)

// SnowflakeGen makes 64-bit snowflake IDs: 41 bits of milliseconds since
// SnowflakeEpochMs, 10 bits of worker id, 12 bits of sequence. IDs are
// strictly increasing per generator and unique across goroutines: when the
// sequence of a millisecond runs out, or the clock steps back, the
// generator borrows the next millisecond instead of blocking.
type SnowflakeGen struct {
	mu     sync.Mutex
	worker int64
	now    func() time.Time
	lastMs int64
	seq    int64
}

// NewSnowflakeGen returns a generator for worker (taken modulo 1024).
func NewSnowflakeGen(worker int) *SnowflakeGen {
	return &SnowflakeGen{worker: int64(worker) & (1<<snowflakeWorkerBits - 1), now: time.Now}
}

// Next returns the next ID.
func (g *SnowflakeGen) Next() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := g.now().UnixMilli() - SnowflakeEpochMs
	if ms < 0 {
		ms = 0
	}
	if ms <= g.lastMs {
		ms = g.lastMs
		g.seq++
		if g.seq > snowflakeMaxSeq {
			ms++
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.lastMs = ms
	return ms<<(snowflakeWorkerBits+snowflakeSeqBits) | g.worker<<snowflakeSeqBits | g.seq
}

var defaultSnowflake = NewSnowflakeGen(1)

// Snowflake implements id_snowflake and snowflake_id (the SDKs document the
// two as identical): the next ID of the process-wide generator, as a
// decimal string.
func Snowflake() ([]byte, bool) {
	return strconv.AppendInt(nil, defaultSnowflake.Next(), 10), true
}
