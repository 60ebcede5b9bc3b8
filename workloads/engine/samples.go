package engine

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
)

// sampler keeps a scenario's response samples (Options.ShowResponses):
// the first n responses of the measured phase, and the first n of each
// distinct failure. Workers check a counter (first) or their own record
// of full failures (worker.fullFailures) before taking the lock, so a
// full sampler costs an atomic load per response.
type sampler struct {
	n     int
	first atomic.Int64 // first responses taken (may pass n: only n are kept)
	mu    sync.Mutex
	kept  []reports.Sample
	fails map[failKey][]reports.Sample
	order []failKey
}

// failKey identifies a distinct failure: an invocation error kind, an
// unexpected status or a failed check.
type failKey struct {
	kind uint8 // failError, failStatus, failCheck
	code int   // the error kind's code, the status or the check's index
}

const (
	failError = iota + 1
	failStatus
	failCheck
)

func newSampler(n int) *sampler {
	return &sampler{n: n, fails: map[failKey][]reports.Sample{}}
}

// takeFirst keeps the response as one of the first n.
func (wk *worker) takeFirst(err error, resp *host.Response) {
	s := wk.rt.sampler
	if s.first.Add(1) > int64(s.n) {
		return
	}
	smp := wk.sample("", err, resp)
	s.mu.Lock()
	s.kept = append(s.kept, smp)
	s.mu.Unlock()
}

// takeFailure keeps the response as one of the first n of failure k;
// why describes it (called only when it failed).
func (wk *worker) takeFailure(k failKey, why func() string, err error, resp *host.Response) {
	if wk.fullFailures[k] {
		return
	}
	s := wk.rt.sampler
	s.mu.Lock()
	have := s.fails[k]
	full := len(have) >= s.n
	s.mu.Unlock()
	if full {
		if wk.fullFailures == nil {
			wk.fullFailures = map[failKey]bool{}
		}
		wk.fullFailures[k] = true
		return
	}
	smp := wk.sample(why(), err, resp)
	s.mu.Lock()
	if have := s.fails[k]; len(have) < s.n {
		if len(have) == 0 {
			s.order = append(s.order, k)
		}
		s.fails[k] = append(have, smp)
	}
	s.mu.Unlock()
}

// sample copies the worker's request and the response (its buffers are
// reused by the next invocation).
func (wk *worker) sample(failure string, err error, resp *host.Response) reports.Sample {
	req := &wk.req
	s := reports.Sample{Failure: failure, Request: reports.SampleRequest{Method: strings.Clone(req.Method), URL: strings.Clone(req.URL)}}
	for _, h := range req.Headers {
		s.Request.Headers = append(s.Request.Headers, [2]string{h[0], strings.Clone(h[1])})
	}
	s.Request.Body, s.Request.BodyBytes = reports.CutBody(req.Body)
	if err != nil {
		s.Error = strings.ReplaceAll(err.Error(), "\n", "; ")
		return s
	}
	s.Status = resp.Status
	for _, h := range resp.Headers {
		s.Headers = append(s.Headers, [2]string{strings.Clone(h[0]), strings.Clone(h[1])})
	}
	s.Body, s.BodyBytes = reports.CutBody(resp.Body)
	return s
}

// sampleResponse keeps the response if the scenario still wants it: as
// one of the first, and under its error or unexpected status.
func (wk *worker) sampleResponse(err error, resp *host.Response, expected bool) {
	if wk.rt.sampler.first.Load() < int64(wk.rt.sampler.n) {
		wk.takeFirst(err, resp)
	}
	switch {
	case err != nil:
		kind := host.KindOf(err)
		wk.takeFailure(failKey{failError, int(kind.Code())}, func() string { return "error " + kind.String() }, err, resp)
	case !expected:
		wk.takeFailure(failKey{failStatus, resp.Status}, func() string { return fmt.Sprintf("status %d (unexpected)", resp.Status) }, err, resp)
	}
}

// samples returns what the sampler kept: the first responses, then each
// failure's, in the order the failures first happened.
func (s *sampler) samples() []reports.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]reports.Sample(nil), s.kept...)
	for _, k := range s.order {
		out = append(out, s.fails[k]...)
	}
	return out
}

// addSamples puts every scenario's samples and the verify failures (the
// first ShowResponses of each verify item) into the run's result.
func (r *run) addSamples(res *reports.Run, vfails []verifyFailure) {
	backend := r.backend.String()
	for _, rt := range r.scenarios {
		if rt.sampler != nil {
			res.AddSamples(reports.Labels{Scenario: rt.spec.Name, Node: rt.spec.Node, Backend: backend}, rt.sampler.samples())
		}
	}
	if r.opts.ShowResponses <= 0 {
		return
	}
	perItem := map[string]int{}
	for _, f := range vfails {
		if perItem[f.name] >= r.opts.ShowResponses {
			continue
		}
		perItem[f.name]++
		s := reports.Sample{Failure: "verify " + f.name + ": " + f.why,
			Stored: &reports.StoredKey{Node: f.node, Site: f.site, Key: f.key, Found: f.found, TTLSecs: f.ttl}}
		s.Body, s.BodyBytes = reports.CutBody(f.value)
		res.AddSamples(reports.Labels{Scenario: VerifyScenario, Node: f.node, Backend: backend}, []reports.Sample{s})
	}
}
