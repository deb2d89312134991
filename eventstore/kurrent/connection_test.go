package kurrent

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// freeAddr returns a local address nothing listens on (for now).
func freeAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// TestClientRebuiltAfterFailedFirstConnection checks the client quirk the
// adapter works around: a client whose first connection failed marks itself
// closed for good. The call that fails reports it; once the server is up,
// the next call works because the adapter built a new client.
func TestClientRebuiltAfterFailedFirstConnection(t *testing.T) {
	addr := freeAddr(t)
	f := &fakeServer{log: newFakeLog(), addr: addr}
	t.Cleanup(f.stop)
	s, err := Open(context.Background(), f.connString(), WithLogger(quiet), WithoutConnectCheck(), WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ReadStream(context.Background(), "fund-1", 0, 0); err == nil {
		t.Fatal("ReadStream with no server: no error")
	}
	f.restart(t)
	if _, err := s.Append(context.Background(), "fund-1", eventstore.NoStream, events(1)...); err != nil {
		t.Fatalf("Append once the server is up: %v", err)
	}
	if got := mustReadStream(t, s, "fund-1"); len(got) != 1 {
		t.Fatalf("read %d events, want 1", len(got))
	}
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	if gen == 0 {
		t.Fatal("the client was never rebuilt")
	}
}

// TestOpenFailsWithoutServer checks that Open reports an unreachable
// server instead of returning a store that fails later.
func TestOpenFailsWithoutServer(t *testing.T) {
	f := &fakeServer{addr: freeAddr(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s, err := Open(ctx, f.connString(), WithLogger(quiet), WithRetries(1)); err == nil {
		s.Close()
		t.Fatal("Open with no server: no error")
	}
	if _, err := Open(ctx, "kurrentdb://localhost:2113", WithLogger(quiet)); err == nil {
		t.Fatal("Open accepted a kurrentdb:// connection string, which this client does not parse")
	}
	_, err := Open(ctx, "esdb://ledger:s3cret@localhost:bad?tls=false", WithLogger(quiet))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open with a malformed connection string: %v; want an error that does not repeat the password", err)
	}
}

// TestMultiHostConnectionString connects through gossip, as with the
// cluster profile's connection string, and works as usual.
func TestMultiHostConnectionString(t *testing.T) {
	f := startFakeServer(t)
	conn := "esdb://" + f.addr + "," + f.addr + "?tls=false&maxDiscoverAttempts=3&discoveryInterval=50"
	s, err := Open(context.Background(), conn, WithLogger(quiet))
	if err != nil {
		t.Fatalf("Open(%s): %v", conn, err)
	}
	defer s.Close()
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(2)...)
	checkChain(t, mustReadStream(t, s, "fund-1"))
}

// TestReadsRetryWhileServerIsDown checks that a read issued while the node
// is down succeeds once it comes back within the retries.
func TestReadsRetryWhileServerIsDown(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f, WithRetries(60), WithBackoff(20*time.Millisecond, 100*time.Millisecond))
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(3)...)
	f.stop()
	go func() {
		time.Sleep(200 * time.Millisecond)
		f.restart(t)
	}()
	got, err := s.ReadStream(context.Background(), "fund-1", 0, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("ReadStream across a restart: %d events, %v", len(got), err)
	}
}

// TestNotLeaderIsRetried checks that "not leader" answers (a follower
// redirecting the client to the leader) are followed and retried, for
// reads and for appends, and that the append lands once.
func TestNotLeaderIsRetried(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(1)...)

	f.notLeaderReads.Store(2)
	got, err := s.ReadStream(context.Background(), "fund-1", 0, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("ReadStream through two redirects: %d events, %v", len(got), err)
	}
	sent := f.appends.Load()
	f.notLeaderAppends.Store(1)
	if _, err := s.Append(context.Background(), "fund-1", eventstore.Exact(0), events(1)...); err != nil {
		t.Fatalf("Append through a redirect: %v", err)
	}
	if n := f.notLeaderReads.Load() + f.notLeaderAppends.Load(); n != 0 {
		t.Fatalf("%d redirects were not used", n)
	}
	if n := f.appends.Load() - sent; n != 2 {
		t.Fatalf("%d append requests, want 2 (one redirected, one landed)", n)
	}
	checkChain(t, mustReadStream(t, s, "fund-1"))
}

// TestClosedStore checks that every call after Close returns ErrClosed.
func TestClosedStore(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, errA := s.Append(ctx, "fund-1", eventstore.Any, events(1)...)
	_, errR := s.ReadStream(ctx, "fund-1", 0, 0)
	_, errB := s.ReadStreamBackward(ctx, "fund-1", 1)
	_, errL := s.ReadAll(ctx, 0, 0)
	var errS error
	for _, err := range s.Subscribe(ctx, 0) {
		errS = err
		break
	}
	for i, err := range []error{errA, errR, errB, errL, errS} {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("call %d after Close: %v, want ErrClosed", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
