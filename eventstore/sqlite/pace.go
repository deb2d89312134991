package sqlite

import "time"

// Every commit writes each page it dirtied to the WAL whole and waits for
// an fdatasync, so much of a commit's cost is per commit, not per event:
// the pages at the right edge of the log and of its indexes, the header
// page, the sync. When callers each keep their own schedule (an API
// server's clients), requests arrive while commits run, and committing
// whatever is queued the moment the last commit ends makes many small
// commits that rewrite the same pages. With a pace (WithCommitPace) the
// writer then gathers first: the next batch waits until pace has passed
// since the last commit began, and takes everything queued by then. It
// paces only after a commit that took more than one request or saw
// requests arrive while it ran: a lone caller appending in a loop never
// waits. This is PostgreSQL's commit_delay, and like it off by default:
// a fixed set of callers in a tight loop (eventstore/storebench's 64
// writers) only waits longer for the same batches.

// WithCommitPace sets the shortest time between the starts of two commits
// while more than one caller appends (see above); 0, the default, commits
// whatever is queued at once.
func WithCommitPace(d time.Duration) Option {
	return func(s *Store) {
		if d >= 0 {
			s.pace = d
		}
	}
}

// lastBatch is when the writer's last commit began, how many requests it
// took and whether requests were queued when it ended.
type lastBatch struct {
	start    time.Time
	requests int
	queued   bool
}

// gather lets more requests join batch, whose requests are taken, when
// the last commit calls for pacing: it sleeps until pace has passed since
// that commit began, then takes what is queued. (Sleeping, rather than
// taking each request as it arrives, keeps the writer's thread from
// waking for every one: in bench api that cost more than it saved.)
func (s *Store) gather(batch []*request, last lastBatch) []*request {
	if s.pace <= 0 || (last.requests < 2 && !last.queued) {
		return batch
	}
	n := 0
	for _, r := range batch {
		n += r.size()
	}
	if n >= s.maxBatch {
		return batch // full: nothing more would join it
	}
	if wait := time.Until(last.start.Add(s.pace)); wait > 0 {
		time.Sleep(wait)
	}
	return s.collect(batch, len(batch))
}
