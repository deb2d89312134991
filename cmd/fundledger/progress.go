package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// plainEvery is how often a plain progress line is written when stderr is
// not a terminal: often enough that a log shows a long run is alive, rarely
// enough not to flood it, and never for a run shorter than that.
const plainEvery = 2 * time.Second

// progress reports how far a long command got, on stderr: a bar drawn by
// progressbar when stderr is a terminal, otherwise a plain line every
// plainEvery, since a self-rewriting line in a pipe or a log file is noise.
// It is used by one goroutine.
type progress struct {
	bar *progressbar.ProgressBar

	w     io.Writer
	what  string
	unit  string
	total int64 // -1 when unknown
	n     int64
	every time.Duration
	last  time.Time
	lines int // plain lines written
}

// newProgress starts a progress report on w for a job of total units (-1
// when unknown), described by what ("importing") and unit ("employers").
func newProgress(w io.Writer, total int64, what, unit string) *progress {
	if isTerminal(w) {
		return newBar(w, total, what, unit)
	}
	return &progress{w: w, what: what, unit: unit, total: total, every: plainEvery, last: time.Now()}
}

// newBar returns a progress drawn as a bar (a counter when total is -1).
func newBar(w io.Writer, total int64, what, unit string) *progress {
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(total > 0),
		// The summary follows on stdout; a finished bar left on the
		// terminal would only repeat it.
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar, w: w, what: what, unit: unit, total: total}
}

// Set records that n units are done.
func (p *progress) Set(n int64) {
	p.n = n
	if p.bar != nil {
		_ = p.bar.Set64(n) // drawing to stderr: nothing to do if it fails
		return
	}
	if now := time.Now(); now.Sub(p.last) >= p.every {
		p.last = now
		p.line()
	}
}

// Add records n more units done.
func (p *progress) Add(n int) { p.Set(p.n + int64(n)) }

// Finish ends the report: the bar is cleared; a plain report that wrote
// any line writes the final count, so a log shows where it ended.
func (p *progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	if p.lines > 0 {
		p.line()
	}
}

func (p *progress) line() {
	p.lines++
	if p.total >= 0 {
		pct := 100.0
		if p.total > 0 {
			pct = float64(p.n) * 100 / float64(p.total)
		}
		fmt.Fprintf(p.w, "%s: %d of %d %s (%.0f%%)\n", p.what, p.n, p.total, p.unit, pct)
		return
	}
	fmt.Fprintf(p.w, "%s: %d %s\n", p.what, p.n, p.unit)
}
