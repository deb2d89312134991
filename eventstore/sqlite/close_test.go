package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestCallsAfterCloseReturnErrClosed checks every method of a closed store.
func TestCallsAfterCloseReturnErrClosed(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := context.Background()
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, appendErr := s.Append(ctx, "claim-1", eventstore.Any, newEvent(2))
	_, streamErr := s.ReadStream(ctx, "claim-1", 0, 0)
	_, backErr := s.ReadStreamBackward(ctx, "claim-1", 1)
	_, allErr := s.ReadAll(ctx, 0, 10)
	var subErr error
	for _, err := range s.Subscribe(ctx, 0) {
		subErr = err
		break
	}
	for name, err := range map[string]error{"Append": appendErr, "ReadStream": streamErr,
		"ReadStreamBackward": backErr, "ReadAll": allErr, "Subscribe": subErr, "Close": s.Close()} {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// TestCloseEndsWaitingSubscription checks that a subscription waiting at
// the head of the log ends with ErrClosed when the store closes.
func TestCloseEndsWaitingSubscription(t *testing.T) {
	s := openStore(t, t.TempDir())
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	delivered := make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		for _, err := range s.Subscribe(context.Background(), 0) {
			if err != nil {
				ended <- err
				return
			}
			close(delivered)
		}
	}()
	<-delivered
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("subscription ended with %v, want ErrClosed", err)
	}
}

// TestCloseDuringAppendsLosesNothing closes the store while 16 writers
// append: each Append either succeeded, and its event is there after a
// reopen, or got ErrClosed.
func TestCloseDuringAppendsLosesNothing(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	var (
		mu    sync.Mutex
		acked []eventstore.EventData
		wg    sync.WaitGroup
	)
	started := make(chan struct{}, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				e := newEvent(i)
				_, err := s.Append(context.Background(), fmt.Sprintf("claim-%d", w), eventstore.Any, e)
				if errors.Is(err, eventstore.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, e)
				mu.Unlock()
				if i == 0 {
					started <- struct{}{}
				}
			}
		})
	}
	for range 16 {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	s = openStore(t, dir)
	log := readLog(t, s)
	verifyLog(t, log)
	found := make(map[string]bool, len(log))
	for _, e := range log {
		found[e.ID.String()] = true
	}
	for _, e := range acked {
		if !found[e.ID.String()] {
			t.Fatalf("acknowledged event %s is missing after Close and reopen", e.ID)
		}
	}
	if len(log) != len(acked) {
		t.Errorf("log has %d events, %d were acknowledged", len(log), len(acked))
	}
}
