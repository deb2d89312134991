package kurrent

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a slog handler that keeps every record, safe for the
// client's goroutines, which may log after a test ends.
type recorder struct {
	mu      sync.Mutex
	records []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	line := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	r.mu.Lock()
	r.records = append(r.records, line)
	r.mu.Unlock()
	return nil
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.records...)
}

// captureStdLog sends the standard logger, which the client's console
// logging writes to, into a buffer for the test.
func captureStdLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	prev, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	t.Cleanup(func() { log.SetOutput(prev); log.SetFlags(flags) })
	return &buf
}

// TestConnStringParsedWithoutPrinting checks the settings the client would
// print about while parsing (before our logger is in place): an unknown
// one is refused by name, a short keep-alive is applied with our warning,
// and a bad defaultDeadline is refused instead of becoming zero.
func TestConnStringParsedWithoutPrinting(t *testing.T) {
	stdlog := captureStdLog(t)
	rec := &recorder{}
	logger := slog.New(rec)
	if _, err := parseConnString("esdb://localhost:2113?tsl=false", logger); err == nil || !strings.Contains(err.Error(), `unknown setting "tsl"`) {
		t.Errorf("misspelt setting: error %v, want one naming tsl", err)
	}
	for _, bad := range []string{"defaultDeadline=0", "defaultDeadline=soon", "keepAliveInterval=-2", "tls=false&x=%zz"} {
		if _, err := parseConnString("esdb://localhost:2113?"+bad, logger); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	cfg, err := parseConnString("esdb://a:2113,b:2113?tls=false&KeepAliveInterval=5000&defaultDeadline=2500", logger)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KeepAliveInterval != 5*time.Second || *cfg.DefaultDeadline != 2500*time.Millisecond || !cfg.DisableTLS || len(cfg.GossipSeeds) != 2 {
		t.Fatalf("cfg = keepAlive %s, deadline %v, disableTLS %v, seeds %d", cfg.KeepAliveInterval, cfg.DefaultDeadline, cfg.DisableTLS, len(cfg.GossipSeeds))
	}
	if lines := rec.lines(); len(lines) != 1 || !strings.Contains(lines[0], "keepAliveInterval") {
		t.Fatalf("our log = %q, want the keep-alive warning", lines)
	}
	if cfg, err := parseConnString("esdb://localhost:2113?keepAliveInterval=-1", logger); err != nil || cfg.KeepAliveInterval != -1 {
		t.Fatalf("keepAliveInterval=-1: %v, %v", cfg, err)
	}
	if stdlog.Len() > 0 {
		t.Fatalf("the client printed: %q", stdlog)
	}
}

// TestClientLogsReachOurLogger connects to a closed port with a short
// deadline: the client's own log lines (discovery attempts, failed
// candidates) arrive in the store's slog handler, and nothing reaches the
// standard logger the client would print to by default.
func TestClientLogsReachOurLogger(t *testing.T) {
	stdlog := captureStdLog(t)
	rec := &recorder{}
	f := &fakeServer{addr: freeAddr(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if s, err := Open(ctx, f.connString(), WithLogger(slog.New(rec)), WithRetries(1), WithTimeout(time.Second)); err == nil {
		s.Close()
		t.Fatal("Open with no server: no error")
	}
	var fromClient []string
	for _, l := range rec.lines() {
		if strings.Contains(l, "source=esdb-client") {
			fromClient = append(fromClient, l)
		}
	}
	if len(fromClient) == 0 || !strings.Contains(strings.Join(fromClient, "\n"), "discovery attempt") {
		t.Fatalf("no client log line reached our handler; it got %q", rec.lines())
	}
	if stdlog.Len() > 0 {
		t.Fatalf("the client printed to the standard logger: %q", stdlog)
	}
}
