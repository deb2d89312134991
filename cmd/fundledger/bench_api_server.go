package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/haixi-hrss/fundledger/api/auth"
)

// benchServer is the server the API bench drives when given no --url:
// 'fundledger serve' run in this process, on a free loopback port.
type benchServer struct {
	url    string
	dir    string
	tokens map[string]string
	stop   func() error
}

// startBenchServer creates a token per bench role in dir's tokens file
// and starts serve on 127.0.0.1 with an embedded store in dir (a new
// temporary directory, removed by stop, when dir is empty). The server's
// JSON log goes to serve.log in dir, as it would to a file in production,
// so the bench pays for the access log too.
func startBenchServer(ctx context.Context, dir string) (_ *benchServer, err error) {
	temporary := dir == ""
	if temporary {
		if dir, err = os.MkdirTemp("", "fundledger-bench-api-*"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	cleanup := func() {
		if temporary {
			os.RemoveAll(dir)
		}
	}
	tokFile := tokensPath(dir)
	tokens := map[string]string{}
	for _, r := range benchRoles {
		tok, _, err := auth.Create(tokFile, "bench."+r, r, time.Now())
		if err != nil {
			cleanup()
			return nil, err
		}
		tokens[r] = tok
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "serve.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		cleanup()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	addr := &listenWriter{at: make(chan string, 1)}
	done := make(chan error, 1)
	cfg := serveConfig{addr: "127.0.0.1:0", dir: dir, tokens: tokFile, shutdown: 10 * time.Second, commitPace: serveCommitPace}
	go func() { done <- serve(sctx, cfg, slog.New(slog.NewJSONHandler(logFile, nil)), addr) }()
	stop := func() error {
		cancel()
		err := <-done
		err = errors.Join(err, logFile.Close())
		cleanup()
		return err
	}
	select {
	case u := <-addr.at:
		return &benchServer{url: u, dir: dir, tokens: tokens, stop: stop}, nil
	case err := <-done:
		done <- err
		return nil, errors.Join(fmt.Errorf("start the server: %w", err), stop())
	}
}

// listenWriter is serve's stdout: it picks the URL out of the line
// serve prints once it listens.
type listenWriter struct {
	once sync.Once
	at   chan string
}

func (w *listenWriter) Write(p []byte) (int, error) {
	if _, u, ok := strings.Cut(string(p), "listening on "); ok {
		w.once.Do(func() { w.at <- strings.TrimSpace(u) })
	}
	return len(p), nil
}
