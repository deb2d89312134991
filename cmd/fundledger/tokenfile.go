package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/haixi-hrss/fundledger/api/auth"
)

// tokensRecheck is how often a request may trigger a look at the tokens
// file: a revocation takes effect within it, and a busy server stats the
// file at most this often.
const tokensRecheck = time.Second

// tokenFile verifies bearer tokens against a tokens file, reloading it
// when its size or modification time changes, so that 'tokens revoke' or
// 'tokens create' takes effect on a running server without a restart.
type tokenFile struct {
	path    string
	log     *slog.Logger
	recheck time.Duration

	mu      sync.Mutex
	tokens  *auth.Tokens
	stamp   fileStamp
	checked time.Time
}

// fileStamp identifies one version of a file well enough to see that it
// was replaced (auth writes it by atomic rename).
type fileStamp struct {
	exists bool
	size   int64
	mod    time.Time
}

// watchTokens loads the tokens file at path; a missing file holds no
// tokens yet, which is logged, since every request is then refused.
func watchTokens(path string, log *slog.Logger) (*tokenFile, error) {
	t := &tokenFile{path: path, log: log, recheck: tokensRecheck}
	if err := t.reload(time.Now()); err != nil {
		return nil, err
	}
	if !t.stamp.exists {
		log.Warn("no tokens file yet: every request needing a token is refused until one is created with 'fundledger tokens create'",
			"file", path)
	}
	return t, nil
}

// Verify implements api.Verifier.
func (t *tokenFile) Verify(token string) (auth.Principal, bool) {
	t.mu.Lock()
	if now := time.Now(); now.Sub(t.checked) >= t.recheck {
		if err := t.reload(now); err != nil {
			// Keep the tokens loaded last: a half-edited file must not lock
			// everyone out, and a revoked token was already removed by the
			// write that replaced the file.
			t.log.Error("tokens file unreadable, keeping the tokens loaded before", "file", t.path, "err", err.Error())
		}
	}
	tokens := t.tokens
	t.mu.Unlock()
	return tokens.Verify(token)
}

// reload re-reads the file if it changed since the last load; t.mu is
// held or t not yet shared.
func (t *tokenFile) reload(now time.Time) error {
	t.checked = now
	st, err := stampOf(t.path)
	if err != nil {
		return err
	}
	if t.tokens != nil && st == t.stamp {
		return nil
	}
	tokens, err := auth.Load(t.path)
	if err != nil {
		return err
	}
	if t.tokens != nil {
		t.log.Info("tokens file reloaded", "file", t.path)
	}
	t.tokens, t.stamp = tokens, st
	return nil
}

func stampOf(path string) (fileStamp, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileStamp{}, nil
	}
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{exists: true, size: info.Size(), mod: info.ModTime()}, nil
}
