package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestPlainProgress: off a terminal, a run shorter than the interval
// writes nothing; a longer one writes a line per interval and its final
// count, with the percentage when the total is known.
func TestPlainProgress(t *testing.T) {
	var quiet bytes.Buffer
	p := newProgress(&quiet, 10, "importing", "employers")
	p.Add(5)
	p.Add(5)
	p.Finish()
	if quiet.Len() != 0 {
		t.Errorf("a short run wrote %q", quiet.String())
	}

	var out bytes.Buffer
	p = newProgress(&out, 200, "importing", "employers")
	p.every = 0
	p.Add(50)
	p.Add(50)
	p.every = time.Hour
	p.Add(100)
	p.Finish()
	want := "importing: 50 of 200 employers (25%)\nimporting: 100 of 200 employers (50%)\nimporting: 200 of 200 employers (100%)\n"
	if out.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", out.String(), want)
	}

	out.Reset()
	p = newProgress(&out, -1, "replaying", "events")
	p.every = 0
	p.Set(1000)
	if got := out.String(); got != "replaying: 1000 events\n" {
		t.Errorf("unknown total: wrote %q", got)
	}
}

// TestBarProgress: on a terminal the bar shows the description and count
// and is cleared when done.
func TestBarProgress(t *testing.T) {
	var out bytes.Buffer
	p := newBar(&out, 4, "importing", "employers")
	p.Add(2)
	if !strings.Contains(out.String(), "importing") || !strings.Contains(out.String(), "2/4") {
		t.Errorf("bar at 2 of 4 drew %q", out.String())
	}
	p.Add(2)
	p.Finish()
	if !strings.HasSuffix(out.String(), "\r") {
		t.Errorf("the finished bar was not cleared: %q", out.String())
	}
}
