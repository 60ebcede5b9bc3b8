package store

import "time"

// Sweeper tuning, after Redis's active expiry: small sites are scanned
// whole; large ones are sampled, and sampling repeats while a good share of
// the sample had expired, within a time budget per site.
const (
	sweepFullScanMax = 4096
	sweepSample      = 32
	sweepRepeatRatio = 4 // repeat while more than 1/4 of the sample expired
	sweepBudget      = 5 * time.Millisecond
)

func (s *Store) sweepLoop(every time.Duration) {
	defer close(s.sweepDone)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.stopSweep:
			return
		case <-tick.C:
			s.Sweep()
		}
	}
}

// Sweep runs one pass of the active expiry over every site and returns the
// number of expired entries it removed. The background sweeper calls it
// every Options.SweepInterval.
func (s *Store) Sweep() (removed int) {
	for _, t := range s.siteList() {
		removed += t.sweep()
	}
	return removed
}

func (t *Site) sweep() (removed int) {
	deadline := time.Now().Add(sweepBudget)
	for {
		t.mu.Lock()
		now := t.s.now()
		if t.minExpiry == 0 || t.minExpiry > now {
			t.mu.Unlock()
			return removed
		}
		if t.ix.len() <= sweepFullScanMax {
			before := t.ix.len()
			t.reclaimExpiredLocked("")
			removed += before - t.ix.len()
			t.mu.Unlock()
			return removed
		}
		var victims []string
		sampled := 0
		for e := range t.ix.all() { // starts at a random slot
			if sampled == sweepSample {
				break
			}
			sampled++
			if e.live(now) {
				continue
			}
			if _, busy := t.keys[e.key()]; !busy {
				victims = append(victims, e.key())
			}
		}
		t.deleteExpiredLocked(victims)
		removed += len(victims)
		t.mu.Unlock()
		if len(victims)*sweepRepeatRatio <= sampled || time.Now().After(deadline) {
			return removed
		}
	}
}
