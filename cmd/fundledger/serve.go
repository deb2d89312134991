package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/persondata"
)

const serveHelp = `
Serves the ledger's HTTP API (REST and JSON under /v1, OpenAPI at
/v1/openapi.json, /healthz, /readyz, /metrics). The events live in the
embedded store in DIR (created if missing), or on the KurrentDB server
given by --store, in which case DIR keeps only the read models' snapshot
and the tokens file.

Before listening, the read models are brought up to the end of the log;
then they follow it in the background. Then every claim whose budget
steps are unfinished by the read models' account (money its budget line
holds, spent or recovered for it differs from what the claim's own events
say) is reconciled with its line (ledger.Reconcile): a process cut off
between its steps by a crash, e.g. money reserved for an approval the
claim never recorded, is completed or compensated, and what was repaired
is logged. The work follows the processes left half done, not the size
of the ledger. Only then is the API served, so /readyz answers ready only
after the repairs. Bearer tokens are checked against
the tokens file (default DIR/tokens.json, managed with 'fundledger tokens'),
which is re-read when it changes, so a revoked token stops working without
a restart. Logs are JSON lines (log/slog) on stderr; the address listened
on is printed on stdout.

On SIGINT or SIGTERM the server stops accepting connections, lets
requests in flight finish (up to --shutdown-timeout), stops the read-model
follower, which saves their snapshot, and closes the store, then exits 0.

Examples:
  fundledger serve --data /var/lib/fundledger
  fundledger serve --addr 0.0.0.0:8080 --data /var/lib/fundledger --store esdb://kurrent:2113?tls=false
  fundledger serve --addr 127.0.0.1:0 --data ./ledger --tokens ./tokens.json --person-secret-file ./person.key`

// serveConfig is what serve runs with.
type serveConfig struct {
	addr, dir, storeURL, tokens, personSecret string
	shutdown                                  time.Duration
	// commitPace is the embedded store's commit pacing (sqlite.WithCommitPace).
	commitPace time.Duration
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve",
		"serve --data DIR [--addr HOST:PORT] [--store URL] [--tokens FILE] [--person-secret-file FILE] [--shutdown-timeout D] [--commit-pace D]", serveHelp)
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "the `address` to listen on (port 0 picks a free one)")
	fs.StringVar(&cfg.dir, "data", "", "the ledger's data `directory` (required)")
	store := storeFlag(fs, "holding the events; the data directory then keeps only the read models' snapshot and the tokens file")
	fs.StringVar(&cfg.tokens, "tokens", "", "the tokens `file` (default DIR/tokens.json)")
	fs.StringVar(&cfg.personSecret, "person-secret-file", "",
		"a `file` holding the ledger's secret for keyed person references; without it, clerks send the references themselves")
	fs.DurationVar(&cfg.shutdown, "shutdown-timeout", 30*time.Second, "how long requests in flight may take to finish on shutdown")
	fs.DurationVar(&cfg.commitPace, "commit-pace", serveCommitPace,
		"while requests arrive during commits, the shortest time between the starts of two commits of the embedded store (0: commit at once)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	cfg.storeURL = *store
	if cfg.dir == "" {
		return usageError(fs, stderr, "--data is required")
	}
	if cfg.tokens == "" {
		cfg.tokens = tokensPath(cfg.dir)
	}
	if cfg.shutdown <= 0 {
		return usageError(fs, stderr, "--shutdown-timeout must be positive")
	}
	if cfg.commitPace < 0 || cfg.commitPace > maxCommitPace {
		return usageError(fs, stderr, fmt.Sprintf("--commit-pace must be between 0 and %s", maxCommitPace))
	}
	if err := datadir.CheckStoreURL(cfg.storeURL); err != nil {
		return usageError(fs, stderr, err.Error())
	}
	// One stream of JSON lines, the KurrentDB client's included (serve
	// hands this logger to datadir).
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if err := serve(ctx, cfg, log, stdout); err != nil {
		log.Error("serve stopped", "err", err.Error())
		return exitFailure
	}
	return exitOK
}

// serve runs the server until ctx is done, then shuts it down in order:
// HTTP first (so no command is cut off half way), then the follower and
// the store.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer) (err error) {
	logRuntime(log)
	tokens, err := watchTokens(cfg.tokens, log)
	if err != nil {
		return err
	}
	apiCfg := api.Config{Tokens: tokens, Logger: log}
	if cfg.personSecret != "" {
		secret, err := persondata.ReadSecret(cfg.personSecret)
		if err != nil {
			return fmt.Errorf("person secret: %w", err)
		}
		h, err := identity.NewHasher(secret)
		if err != nil {
			return fmt.Errorf("person secret %s: %w", cfg.personSecret, err)
		}
		apiCfg.Persons = &h
	}

	// Bind before the catch-up, which may take a while, so that a port in
	// use fails at once; connections wait in the backlog meanwhile.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close() // after Serve, a no-op; before it, frees the port
	l, err := openLedger(ctx, cfg.dir, cfg.storeURL, true, log, sqlite.WithCommitPace(cfg.commitPace))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := l.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the ledger: %w", cerr)
		}
		if err == nil {
			log.Info("stopped", "checkpoint", l.Runner.Checkpoint())
		}
	}()
	log.Info("catching up the read models", "store", l.StoreName, "checkpoint", l.Runner.Checkpoint())
	if err := l.Start(ctx); err != nil {
		return fmt.Errorf("start the read models: %w", err)
	}
	if err := reconcileClaims(ctx, l, log); err != nil {
		return err
	}
	handler, err := api.New(l, apiCfg)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "store", l.StoreName, "checkpoint", l.Runner.Checkpoint())
	fmt.Fprintf(stdout, "fundledger listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.shutdown.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("requests still running after %s were cut off: %w", cfg.shutdown, err)
	}
	return nil
}

// reconcileClaims runs ledger.Reconcile on every claim the read models
// (process.Unfinished, caught up to the end of the log) find with
// unfinished budget steps, one claim at a time so that one claim that
// cannot be repaired is logged and the others still are. It costs a read
// of each such claim and of its budget line, nothing for the others.
func reconcileClaims(ctx context.Context, l *datadir.Ledger, log *slog.Logger) error {
	start := time.Now()
	var ids []string
	l.Runner.Read(func(uint64) { ids = l.Views.Unfinished.Claims() })
	log.Info("reconciling claims with their budget lines", "claims", len(ids))
	var total ledger.Repairs
	failed := 0
	for _, id := range ids {
		n, err := ledger.Reconcile(ctx, l.Service, []string{id})
		if ctx.Err() != nil {
			return fmt.Errorf("reconcile claims: %w", ctx.Err())
		}
		if err != nil {
			failed++
			log.Error("claim not reconciled", "claim", id, "err", err.Error())
			continue
		}
		if n != (ledger.Repairs{Claims: 1}) {
			log.Warn("claim repaired", "claim", id, "reserved", n.Reserved, "completed", n.Completed,
				"released", n.Released, "spent", n.Spent, "recovered", n.Recovered)
		}
		total.Claims += n.Claims
		total.Reserved += n.Reserved
		total.Completed += n.Completed
		total.Released += n.Released
		total.Spent += n.Spent
		total.Recovered += n.Recovered
	}
	log.Info("reconciled claims", "claims", total.Claims, "failed", failed, "reserved", total.Reserved, "completed", total.Completed,
		"released", total.Released, "spent", total.Spent, "recovered", total.Recovered, "took", time.Since(start).String())
	return nil
}

// serveCommitPace is serve's default --commit-pace. An API server's
// callers each keep their own schedule, so while it is busy requests
// arrive during every commit, and pacing them into fewer, larger commits
// took a fifth of the CPU per command off 'fundledger bench api --rate
// 5000' and shortened its tail (docs/performance.md, API round 6).
const serveCommitPace = 2 * time.Millisecond

// maxCommitPace bounds --commit-pace: a longer pace only adds latency.
const maxCommitPace = 100 * time.Millisecond
