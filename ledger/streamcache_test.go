package ledger

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStateCacheKeepsTheMostRecentlyUsed(t *testing.T) {
	c := newStateCache(2)
	c.put("a", 1, "a1")
	c.put("b", 1, "b1")
	if _, _, ok := c.get("a"); !ok {
		t.Fatal("a missing before eviction")
	}
	c.put("c", 1, "c1") // b is the least recently used now
	if _, _, ok := c.get("b"); ok {
		t.Error("b kept beyond the limit of 2")
	}
	for _, s := range []string{"a", "c"} {
		if _, _, ok := c.get(s); !ok {
			t.Errorf("%s evicted, want kept", s)
		}
	}
	c.put("a", 5, "a5")
	c.put("a", 3, "a3") // a slower caller's older fold
	if st, next, _ := c.get("a"); st != "a5" || next != 5 {
		t.Errorf("a = %v at %d, want the later fold a5 at 5", st, next)
	}
	c.drop("a")
	if _, _, ok := c.get("a"); ok {
		t.Error("a still cached after drop")
	}
	off := newStateCache(0)
	off.put("a", 1, "a1")
	if _, _, ok := off.get("a"); ok {
		t.Error("a cache of size 0 kept a state")
	}
}

func TestStreamLocksQueueOneStreamOnly(t *testing.T) {
	var l streamLocks
	ctx := context.Background()
	unlock, err := l.lock(ctx, "line-1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := l.lock(ctx, "line-2")
	if err != nil {
		t.Fatalf("another stream waited for line-1: %v", err)
	}
	other()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.lock(short, "line-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second writer of a held stream: %v, want to wait until its context ends", err)
	}
	got := make(chan struct{})
	go func() {
		again, err := l.lock(ctx, "line-1")
		if err == nil {
			again()
		}
		close(got)
	}()
	unlock()
	<-got
	if n := len(l.locks); n != 0 {
		t.Errorf("%d locks left with no users", n)
	}
}
