package reports

import (
	"math"
	"time"
)

// LateStartThreshold is the default of how late an open-loop start must be
// to count as a late start (Recorder.SetLateThreshold sets another, such as
// a workload's executor.late_tolerance). Every start's lateness is kept in a
// histogram regardless.
const LateStartThreshold = time.Millisecond

// fastCodes covers outcome codes -1..14 in a fixed array; other codes
// (invocation errors, 100+) go to a short slice searched linearly.
const (
	fastCodeMin = -1
	fastCodes   = 16
)

// Recorder is owned by one worker: no locks on the hot path, not safe for
// concurrent use. HDR histograms 1ns..1h, 3 significant digits.
//
// Samples are assigned to a second of the time series by a coarse process
// clock (10 ms resolution) rather than by time.Now, to keep Record cheap.
type Recorder struct {
	labels Labels
	start  int64        // start of the measured phase on now's scale
	now    func() int64 // clock for the time series; coarseNow unless a test injects one

	ops    [NumOps]opRec
	series []*secondRec
	cur    *secondRec
	curSec int
	secEnd int64 // time (on now's scale) at which cur ends
	// secBegin is the earliest time that maps to cur: math.MinInt64 for
	// second 0, which also takes the samples from before start. (The
	// coarse clock lags time.Now by up to a tick, so a recorder starting
	// now sees times before start for a while; testing only "within a
	// second of secEnd" sent each of those samples through flushSecond.)
	secBegin int64

	fill      float64 // last sampled quota fill (0..1) of any site, for the pressure table
	fillKnown bool
	bands     [numBands]bandRec

	limits []*limitRec
	starts startRec
	late   time.Duration // a start later than this is late
	status []statusRec

	failures failureRec // RecordFailure: touched only by failed requests
	checks   []CheckCount
}

// opRec holds one operation's samples by outcome code. A sample is
// recorded once, into its code's histogram of the current second (cur); at
// the next second those are flushed into the series' histogram of the
// operation and added into the code's running total, then reused. One
// dense-array increment per sample instead of two (total and second) halves
// the cache lines a sample touches: with tens of workers' recorders, that
// increment is a cache miss and was the largest recording cost.
type opRec struct {
	fast  [fastCodes]codeHist // codes fastCodeMin.. by code-fastCodeMin
	other []*codeHist         // other codes, searched linearly
	dirty bool                // some cur has samples
}

type codeHist struct {
	code       int32
	cur, total *fastHist // nil until the code is first recorded
}

type secondRec struct {
	ops      [NumOps]secondOpRec
	refusals []codeCount
	quota    []SiteFill
}

type secondOpRec struct {
	errors int64
	hist   *Hist // nil until the second is flushed (or no samples)
}

type codeCount struct {
	code  int32
	count int64
}

type bandRec struct {
	writes, quotaExceeded int64
	hist                  fastHist
}

type limitRec struct {
	name               string
	decisions, refused int64
	cur                int64           // allowed decisions in the current invocation
	perInv             [256]int64      // perInv[n]: invocations with n allowed decisions (n < 256)
	perInvBig          map[int64]int64 // the same for n >= 256
}

type startRec struct {
	total, late, dropped int64
	lateness             fastHist // converted to a Hist by Build
}

type statusRec struct {
	status   int
	expected bool
	count    int64
}

// numBands is the number of quota-fill bands (10% each) in the
// quota-pressure table.
const numBands = 10

// NewRecorder returns a recorder for one worker. start is the beginning of
// the measured phase: second 0 of the time series.
func NewRecorder(l Labels, start time.Time) *Recorder {
	startCoarseClock()
	return newRecorder(l, coarseOffset(start), coarseNow)
}

// newRecorder takes start on the scale of now (tests inject a clock).
func newRecorder(l Labels, start int64, now func() int64) *Recorder {
	r := &Recorder{labels: l, start: start, now: now, late: LateStartThreshold}
	r.curSec = -1
	return r
}

// Labels returns what the recorder measures.
func (r *Recorder) Labels() Labels { return r.labels }

// second returns the time-series slot for the current coarse time.
func (r *Recorder) second() *secondRec {
	t := r.now()
	if r.cur != nil && t < r.secEnd && t >= r.secBegin {
		return r.cur
	}
	r.flushSecond()
	sec := 0
	if t > r.start {
		sec = int((t - r.start) / int64(time.Second))
	}
	for len(r.series) <= sec {
		r.series = append(r.series, nil)
	}
	if r.series[sec] == nil {
		r.series[sec] = &secondRec{}
	}
	r.cur, r.curSec = r.series[sec], sec
	r.secEnd = r.start + int64(sec+1)*int64(time.Second)
	r.secBegin = r.secEnd - int64(time.Second)
	if sec == 0 {
		r.secBegin = math.MinInt64
	}
	return r.cur
}

// Record adds one sample of op with the host's outcome code and duration.
func (r *Recorder) Record(op Op, code int32, d time.Duration) {
	if op >= NumOps {
		return
	}
	if op == OpInvocation && len(r.limits) > 0 {
		r.endInvocation()
	}
	s := r.second() // first: it may flush the previous second
	o := &r.ops[op]
	var ch *codeHist
	if i := code - fastCodeMin; uint32(i) < fastCodes {
		ch = &o.fast[i]
		if ch.cur == nil {
			ch.code, ch.cur, ch.total = code, new(fastHist), new(fastHist)
		}
	} else {
		ch = o.otherHist(code)
	}
	c, off := clampIndex(d)
	ch.cur.add(c, off)
	o.dirty = true
	if IsError(code) {
		so := &s.ops[op]
		so.errors++
		if op != OpResponse && op != OpInvocation {
			s.refusals = addCount(s.refusals, code)
		}
	}
	if op == OpSparkSet && r.fillKnown {
		b := bandOf(r.fill)
		br := &r.bands[b]
		br.writes++
		if code == CodeQuotaExceeded {
			br.quotaExceeded++
		}
		br.hist.add(c, off)
	}
}

// flushSecond moves the current second's samples into the series.
func (r *Recorder) flushSecond() {
	if r.cur == nil {
		return
	}
	for op := range r.ops {
		o := &r.ops[op]
		if !o.dirty {
			continue
		}
		o.dirty = false
		so := &r.cur.ops[op]
		if so.hist == nil {
			so.hist = NewHist()
		}
		flush := func(ch *codeHist) {
			if ch.cur != nil && !ch.cur.empty() {
				ch.cur.flush(so.hist, false)
				ch.cur.moveTo(ch.total)
			}
		}
		for i := range o.fast {
			flush(&o.fast[i])
		}
		for _, ch := range o.other {
			flush(ch)
		}
	}
}

func (o *opRec) otherHist(code int32) *codeHist {
	for _, c := range o.other {
		if c.code == code {
			return c
		}
	}
	c := &codeHist{code: code, cur: new(fastHist), total: new(fastHist)}
	o.other = append(o.other, c)
	return c
}

func addCount(cs []codeCount, code int32) []codeCount {
	for i := range cs {
		if cs[i].code == code {
			cs[i].count++
			return cs
		}
	}
	return append(cs, codeCount{code, 1})
}

func bandOf(fill float64) int {
	b := int(fill * numBands)
	if b < 0 {
		b = 0
	}
	if b >= numBands {
		b = numBands - 1
	}
	return b
}

// RecordLimit records one limit decision as the host reports it: every
// check of an operation against a limit, allowed (refused=false) or refused.
//
// For the per-invocation counters (limits whose name ends in
// "_per_invocation": reads, writes, pulls) the recorder also counts the
// allowed decisions of each invocation; an invocation ends when Record is
// called with OpInvocation. With the configured value V (RunInfo.Limits), an
// invocation that was allowed n > V operations has n-V violations: attempts
// over the limit that the host let through. Attempts over the limit are
// refusals plus violations. Other limits (sizes, quota, TTL, capability,
// timeout, memory) depend on values the recorder does not see: their
// refusals are counted and their violations are not judged.
func (r *Recorder) RecordLimit(limit string, refused bool) {
	r.RecordLimitID(r.LimitID(limit), refused)
}

// LimitID identifies a limit within one Recorder: resolve a name once with
// Recorder.LimitID and record with RecordLimitID, which costs an index
// instead of a search by name. IDs are valid only for the recorder that
// issued them.
type LimitID int32

// LimitID returns the ID of the named limit in r, adding the limit if r has
// not seen it. A limit that receives no decisions is not reported.
func (r *Recorder) LimitID(limit string) LimitID {
	for i, l := range r.limits {
		if l.name == limit {
			return LimitID(i)
		}
	}
	r.limits = append(r.limits, &limitRec{name: limit})
	return LimitID(len(r.limits) - 1)
}

// RecordLimitID is RecordLimit for a limit resolved with LimitID.
func (r *Recorder) RecordLimitID(id LimitID, refused bool) {
	l := r.limits[id]
	l.decisions++
	if refused {
		l.refused++
	} else {
		l.cur++
	}
}

// endInvocation closes the per-invocation counts of limit decisions.
func (r *Recorder) endInvocation() {
	for _, l := range r.limits {
		if l.cur == 0 {
			continue
		}
		if l.cur < int64(len(l.perInv)) {
			l.perInv[l.cur]++
		} else {
			if l.perInvBig == nil {
				l.perInvBig = map[int64]int64{}
			}
			l.perInvBig[l.cur]++
		}
		l.cur = 0
	}
}

// RecordStart records one open-loop start: how late it began against its
// intended start, or that it was dropped (not started, e.g. max_in_flight
// reached).
func (r *Recorder) RecordStart(late time.Duration, dropped bool) {
	r.starts.total++
	if dropped {
		r.starts.dropped++
		return
	}
	r.starts.lateness.record(late)
	if late > r.late {
		r.starts.late++
	}
}

// SetLateThreshold sets how late a start recorded from now on must be to
// count as late; d <= 0 restores LateStartThreshold. The runner sets each
// scenario's executor.late_tolerance, so that the report counts the same
// late starts as the progress display.
func (r *Recorder) SetLateThreshold(d time.Duration) {
	if d <= 0 {
		d = LateStartThreshold
	}
	r.late = d
}

// RecordStatus counts one HTTP response status and whether the scenario
// expected it.
func (r *Recorder) RecordStatus(status int, expected bool) {
	for i := range r.status {
		if r.status[i].status == status && r.status[i].expected == expected {
			r.status[i].count++
			return
		}
	}
	r.status = append(r.status, statusRec{status, expected, 1})
}

// RecordQuota samples a site's quota use. The most recent sample (of any
// site this recorder writes to) is the fill that later spark_set samples are
// attributed to in the quota-pressure table, and the largest fill sampled in
// a second is that second's point in the quota-fill series.
func (r *Recorder) RecordQuota(site string, used, quota int64) {
	if quota > 0 {
		r.fill = float64(used) / float64(quota)
		r.fillKnown = true
	}
	s := r.second()
	for i := range s.quota {
		if s.quota[i].Site == site {
			if used > s.quota[i].Used {
				s.quota[i].Used = used
			}
			s.quota[i].Quota = quota
			return
		}
	}
	s.quota = append(s.quota, SiteFill{Site: site, Used: used, Quota: quota})
}
