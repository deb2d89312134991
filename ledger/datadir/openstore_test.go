package datadir_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

func TestCheckStoreURL(t *testing.T) {
	tests := []struct {
		url  string
		ok   bool
		says string
	}{
		{"", true, ""},
		{"esdb://localhost:2113?tls=false", true, ""},
		{"esdb://a:2113,b:2113,c:2113?tls=false&nodePreference=leader", true, ""},
		{"esdb+discover://cluster.example:2113", true, ""},
		{"postgres://x", false, "KurrentDB connection string"},
		{"kurrentdb://localhost:2113", false, "KurrentDB connection string"},
		{"esdb://localhost:2113?tsl=false", false, `unknown setting "tsl"`},
		{"esdb://localhost:bad", false, "port"},
		{"esdb://", false, "host"},
	}
	for _, tt := range tests {
		err := datadir.CheckStoreURL(tt.url)
		if tt.ok != (err == nil) || !tt.ok && (!errors.Is(err, datadir.ErrStoreURL) || !strings.Contains(err.Error(), tt.says)) {
			t.Errorf("CheckStoreURL(%q) = %v; want ok=%v, or ErrStoreURL saying %q", tt.url, err, tt.ok, tt.says)
		}
	}
}

// TestOpenStoreEmbedded: a new ledger is created only when asked; Existing
// and ReadOnly refuse a missing one without leaving a directory behind;
// ReadOnly gives a store that refuses appends.
func TestOpenStoreEmbedded(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "typo")
	for _, opt := range []datadir.StoreOptions{{Existing: true}, {ReadOnly: true}} {
		if s, _, err := datadir.OpenStore(ctx, missing, opt); err == nil || !strings.Contains(err.Error(), "does not exist") {
			if s != nil {
				s.Close()
			}
			t.Fatalf("OpenStore(%+v) on a missing directory: %v", opt, err)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("OpenStore(%+v) left %s behind", opt, missing)
		}
	}
	if _, _, err := datadir.OpenStore(ctx, "", datadir.StoreOptions{}); err == nil {
		t.Fatal("OpenStore with no directory and no URL: no error")
	}
	dir := filepath.Join(t.TempDir(), "new")
	s, name, err := datadir.OpenStore(ctx, dir, datadir.StoreOptions{})
	if err != nil || name != dir {
		t.Fatalf("OpenStore creating %s: %v (name %q)", dir, err, name)
	}
	if _, err := s.Append(ctx, "fund-1", eventstore.NoStream, eventstore.EventData{ID: uuid.New(), Type: "FundOpened", SchemaVersion: 1, Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, _, err := datadir.OpenStore(ctx, dir, datadir.StoreOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if evs, err := ro.ReadStream(ctx, "fund-1", 0, 0); err != nil || len(evs) != 1 {
		t.Fatalf("read-only ReadStream = %d events, %v", len(evs), err)
	}
	if _, err := ro.Append(ctx, "fund-1", eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: "FundOpened", SchemaVersion: 1, Data: []byte(`{}`)}); err == nil {
		t.Fatal("the read-only store accepted an append")
	}
}

// recorder keeps every slog record; the KurrentDB client logs from its
// own goroutines, which may outlive the test.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	line := rec.Message
	rec.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
	return nil
}

// TestKurrentClientLogsThroughOurLogger opens a KurrentDB store on a
// closed port with a short deadline: the client's own lines (its discovery
// attempts) arrive in the logger given to OpenStore, and nothing goes to
// the standard logger, where the client prints by default.
func TestKurrentClientLogsThroughOurLogger(t *testing.T) {
	var stdlog bytes.Buffer
	prev := log.Writer()
	log.SetOutput(&stdlog)
	t.Cleanup(func() { log.SetOutput(prev) })

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	url := "esdb://" + addr + "?tls=false&maxDiscoverAttempts=1&discoveryInterval=10&gossipTimeout=1"
	s, _, err := datadir.OpenStore(ctx, "", datadir.StoreOptions{URL: url, Logger: slog.New(rec)})
	if err == nil {
		s.Close()
		t.Fatal("OpenStore on a closed port: no error")
	}
	rec.mu.Lock()
	got := strings.Join(rec.lines, "\n")
	rec.mu.Unlock()
	if !strings.Contains(got, "source=esdb-client") || !strings.Contains(got, "discovery attempt") {
		t.Fatalf("the client's lines did not reach our logger; it got:\n%s", got)
	}
	if stdlog.Len() > 0 {
		t.Fatalf("the client printed by itself: %q", stdlog.String())
	}
}
