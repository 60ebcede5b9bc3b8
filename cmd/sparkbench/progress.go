package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/sparkbench/sparkbench/workloads/engine"
)

// progressPrinter shows the measured phase: on a terminal one mpb bar per
// scenario (elapsed, remaining, rate, errors, drops); elsewhere a plain line
// per scenario every plainEvery, with no escape codes; with --quiet nothing.
type progressPrinter struct {
	out      io.Writer
	quiet    bool
	tty      bool
	workload string
	wg       sync.WaitGroup
}

// plainEvery is the period of plain progress lines on a non-terminal.
var plainEvery = 5 * time.Second

func newProgressPrinter(out io.Writer, quiet bool, workload string) *progressPrinter {
	return &progressPrinter{out: out, quiet: quiet, tty: isTerminal(out), workload: workload}
}

// start is called by the engine (Options.OnMeasure) when the measured
// phase begins.
func (p *progressPrinter) start(pr *engine.Progress) {
	if p.quiet {
		return
	}
	p.wg.Add(1)
	if p.tty {
		go p.bars(pr)
	} else {
		go p.plain(pr)
	}
}

// wait returns once the printer has drawn the final state.
func (p *progressPrinter) wait() { p.wg.Wait() }

// elapsed is how long s has run: frozen once its executor has returned.
func elapsed(pr *engine.Progress, s *engine.ScenarioProgress) (time.Duration, string) {
	if at, done := s.Finished(); done {
		return at.Sub(pr.Start), " done"
	}
	return time.Since(pr.Start), ""
}

func rate(n int64, el time.Duration) float64 {
	if el <= 0 {
		return 0
	}
	return float64(n) / el.Seconds()
}

func (p *progressPrinter) plain(pr *engine.Progress) {
	defer p.wg.Done()
	fmt.Fprintf(p.out, "%s on %s: measuring %d scenario(s)\n", p.workload, pr.Backend, len(pr.Scenarios))
	t := time.NewTicker(plainEvery)
	defer t.Stop()
	line := func(final bool) {
		for _, s := range pr.Scenarios {
			el, tag := elapsed(pr, s)
			if final {
				tag = " done"
			}
			planned := "-"
			if s.Planned > 0 {
				planned = s.Planned.String()
			}
			fmt.Fprintf(p.out, "[%s/%s] %s%s: %d invocations, %.0f/s, %d errors, %d dropped, %d late\n",
				el.Truncate(time.Second), planned, s.Name, tag, s.Completed(), rate(s.Completed(), el), s.Errors(), s.Dropped(), s.Late())
		}
	}
	for {
		select {
		case <-pr.Done():
			line(true)
			return
		case <-t.C:
			if !allFinished(pr) { // else the final line follows at once
				line(false)
			}
		}
	}
}

// allFinished reports whether every scenario's executor has returned.
func allFinished(pr *engine.Progress) bool {
	for _, s := range pr.Scenarios {
		if _, done := s.Finished(); !done {
			return false
		}
	}
	return true
}

func (p *progressPrinter) bars(pr *engine.Progress) {
	defer p.wg.Done()
	c := mpb.New(mpb.WithOutput(p.out), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond))
	type barState struct {
		bar   *mpb.Bar
		s     *engine.ScenarioProgress
		total int64
	}
	var bars []barState
	for _, s := range pr.Scenarios {
		s := s
		// Time-bound scenarios fill by elapsed time (ms); iteration-bound
		// closed scenarios by completed iterations.
		total := s.Planned.Milliseconds()
		byIter := total <= 0
		if byIter {
			total = s.Iterations
		}
		total = max(total, 1)
		bar := c.AddBar(total,
			mpb.PrependDecorators(
				decor.Name(fmt.Sprintf("%s [%s]", s.Name, pr.Backend), decor.WCSyncSpaceR),
				decor.Any(func(decor.Statistics) string {
					el, _ := elapsed(pr, s)
					return el.Truncate(100 * time.Millisecond).String()
				}, decor.WCSyncSpace),
			),
			mpb.AppendDecorators(
				decor.Any(func(st decor.Statistics) string {
					if _, done := s.Finished(); byIter || done || st.Completed {
						return ""
					}
					left := s.Planned - time.Since(pr.Start)
					return "left " + max(left, 0).Truncate(time.Second).String()
				}, decor.WCSyncSpace),
				decor.Any(func(decor.Statistics) string {
					el, _ := elapsed(pr, s)
					return fmt.Sprintf("%.0f/s", rate(s.Completed(), el))
				}, decor.WCSyncSpace),
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf("%d err %d drop", s.Errors(), s.Dropped())
				}, decor.WCSyncSpace),
			),
		)
		bars = append(bars, barState{bar, s, total})
	}
	update := func() {
		el := time.Since(pr.Start).Milliseconds()
		for _, b := range bars {
			if _, done := b.s.Finished(); done {
				b.bar.SetCurrent(b.total) // a full bar completes it
				continue
			}
			if b.s.Planned > 0 {
				b.bar.SetCurrent(min(el, b.s.Planned.Milliseconds()-1))
			} else {
				b.bar.SetCurrent(min(b.s.Completed(), max(b.s.Iterations-1, 0)))
			}
		}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-pr.Done():
			for _, b := range bars {
				b.bar.SetCurrent(b.total)
			}
			c.Wait()
			return
		case <-t.C:
			update()
		}
	}
}
