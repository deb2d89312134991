package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// syncBuffer is a buffer the server goroutine writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningLine = regexp.MustCompile(`listening on http://(\S+)`)

// fundLedger makes a ledger in a new directory holding fund f1 with
// 1,000.00 received, and an administrator's token in its tokens file.
func fundLedger(t *testing.T) (dir, token string) {
	t.Helper()
	dir = t.TempDir()
	clock := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	openTestFund(t, l, "f1", clock)
	receiveTestTransfer(t, l, "f1", 1, "1000.00", clock)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.Create(filepath.Join(dir, auth.DefaultFile), "admin-1", "administrator", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dir, token
}

// request sends a request with the bearer token (none if empty) and
// returns the status and body.
func request(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// savedSnapshot restores the read models from dir's snapshot and returns
// its checkpoint, the log's head and fund f1's received total.
func savedSnapshot(t *testing.T, dir string) (checkpoint, head uint64, received string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, projections.SnapshotFile)); err != nil {
		t.Fatalf("no snapshot: %v", err)
	}
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	views := datadir.NewViews()
	r, err := projections.NewRunner(store, schema.Codec(), dir, views.All()...)
	if err != nil {
		t.Fatal(err)
	}
	log, err := store.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := views.Budgets.Fund("f1")
	return r.Checkpoint(), log[len(log)-1].Position, f.Received.String()
}

// servedLedger is a server running in-process on a free port.
type servedLedger struct {
	base           string
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr *syncBuffer
}

// startServe runs serve on dir in-process and waits until it listens.
func startServe(t *testing.T, dir string) *servedLedger {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &servedLedger{cancel: cancel, done: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	go func() {
		s.done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, s.stdout, s.stderr)
	}()
	for deadline := time.Now().Add(20 * time.Second); s.base == ""; time.Sleep(5 * time.Millisecond) {
		if m := listeningLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = "http://" + m[1]
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited %d before listening:\n%s", code, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen:\n%s", s.stderr.String())
		}
	}
	return s
}

// stop cancels serve's context, as SIGTERM does main's, and waits for a
// clean exit.
func (s *servedLedger) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	s.wait(t)
}

func (s *servedLedger) wait(t *testing.T) {
	t.Helper()
	select {
	case code := <-s.done:
		if code != exitOK {
			t.Fatalf("serve exited %d after cancellation:\n%s", code, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
}

// TestServe starts the server in-process on a free port: it answers
// /healthz, checks bearer tokens, takes a command, and on cancellation
// (what SIGTERM does to main's context) exits 0 having saved the read
// models at the head of the log, command included, and logged JSON lines.
func TestServe(t *testing.T) {
	dir, token := fundLedger(t)
	srv := startServe(t, dir)
	base := srv.base

	if code, body := request(t, http.MethodGet, base+"/healthz", "", ""); code != http.StatusOK {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, _ := request(t, http.MethodGet, base+"/v1/funds/f1", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := request(t, http.MethodGet, base+"/v1/funds/f1", auth.Prefix+"forged", ""); code != http.StatusUnauthorized {
		t.Errorf("forged token: %d, want 401", code)
	}
	code, body := request(t, http.MethodGet, base+"/v1/funds/f1", token, "")
	if code != http.StatusOK || !strings.Contains(body, `"received":"1000.00"`) {
		t.Fatalf("GET fund: %d %s", code, body)
	}
	code, body = request(t, http.MethodPost, base+"/v1/funds/f1/transfers", token,
		`{"document":"财社〔2025〕2号","amount":"234.56","source":"青海省财政厅","receivedOn":"2025-01-03"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST transfer: %d %s", code, body)
	}

	srv.stop(t)
	checkpoint, head, received := savedSnapshot(t, dir)
	if checkpoint != head || received != "1234.56" {
		t.Errorf("snapshot at %d with f1 received %s; want the head %d and 1234.56", checkpoint, received, head)
	}

	msgs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(srv.stderr.String()), "\n") {
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line is not JSON: %q", line)
		}
		msgs[rec.Msg] = true
	}
	for _, m := range []string{"listening", "shutting down", "stopped"} {
		if !msgs[m] {
			t.Errorf("no %q in the log:\n%s", m, srv.stderr.String())
		}
	}
	if strings.Contains(srv.stderr.String(), token) {
		t.Error("the log holds a bearer token")
	}
}

// TestServeFinishesInFlightRequests: a command whose handler is running
// when shutdown begins is completed and answered, and its event is in the
// snapshot saved on the way out. The request asks for 100-continue, so the
// server's "100 Continue" proves the handler has started reading the body
// before the shutdown.
func TestServeFinishesInFlightRequests(t *testing.T) {
	dir, token := fundLedger(t)
	srv := startServe(t, dir)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"document":"财社〔2025〕3号","amount":"0.44","source":"青海省财政厅","receivedOn":"2025-01-03"}`
	fmt.Fprintf(conn, "POST /v1/funds/f1/transfers HTTP/1.1\r\nHost: fundledger\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", token, len(body))
	replies := bufio.NewReader(conn)
	status, err := replies.ReadString('\n')
	if err != nil || !strings.Contains(status, "100 Continue") {
		t.Fatalf("first reply %q (err %v), want 100 Continue", status, err)
	}
	if _, err := replies.ReadString('\n'); err != nil { // the blank line ending the interim response
		t.Fatal(err)
	}

	srv.cancel()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(srv.stderr.String(), "shutting down"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown began:\n%s", srv.stderr.String())
		}
	}
	select {
	case code := <-srv.done:
		t.Fatalf("serve exited %d with a request in flight:\n%s", code, srv.stderr.String())
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(replies, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the in-flight command got %d, want 201", resp.StatusCode)
	}
	srv.wait(t)
	if checkpoint, head, received := savedSnapshot(t, dir); checkpoint != head || received != "1000.44" {
		t.Errorf("snapshot at %d with f1 received %s; want the head %d and 1000.44", checkpoint, received, head)
	}
}

// TestServeProcess runs the real process: SIGTERM stops it with exit 0
// and a saved snapshot.
func TestServeProcess(t *testing.T) {
	dir, _ := fundLedger(t)
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	m := listeningLine.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("first line %q (err %v):\n%s", line, err, stderr.String())
	}
	if code, body := request(t, http.MethodGet, "http://"+m[1]+"/healthz", "", ""); code != http.StatusOK {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, stderr.String())
	}
	if checkpoint, head, received := savedSnapshot(t, dir); checkpoint != head || received != "1000.00" {
		t.Errorf("snapshot at %d with f1 received %s; want the head %d and 1000.00", checkpoint, received, head)
	}
}

// TestServeRefusals: bad flags exit 2 and create nothing; a port in use
// or an unreadable person secret exits 1.
func TestServeRefusals(t *testing.T) {
	parent := t.TempDir()
	missing := filepath.Join(parent, "nope")
	usage := []struct {
		name string
		args []string
		msg  string
	}{
		{"no data", []string{"serve"}, "--data is required"},
		{"not KurrentDB", []string{"serve", "--data", missing, "--store", "postgres://x"}, "esdb://"},
		{"bad timeout", []string{"serve", "--data", missing, "--shutdown-timeout", "0s"}, "--shutdown-timeout"},
		{"bad flag", []string{"serve", "--port", "80"}, "flag provided but not defined"},
		{"stray argument", []string{"serve", "--data", missing, "now"}, `unexpected argument "now"`},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			r.wantCode(t, exitUsage)
			r.wantErr(t, tt.msg, "Usage: fundledger serve")
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a refused serve created %s", missing)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := cli(t, "serve", "--addr", ln.Addr().String(), "--data", t.TempDir())
	busy.wantCode(t, exitFailure)
	busy.wantErr(t, "address already in use")

	secret := cli(t, "serve", "--data", t.TempDir(), "--person-secret-file", filepath.Join(parent, "no-key"))
	secret.wantCode(t, exitFailure)
	secret.wantErr(t, "person secret")

	loose := filepath.Join(t.TempDir(), "person.key")
	if err := os.WriteFile(loose, bytes.Repeat([]byte{7}, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	looseRun := cli(t, "serve", "--data", t.TempDir(), "--person-secret-file", loose)
	looseRun.wantCode(t, exitFailure)
	looseRun.wantErr(t, "readable by its owner only")

	h := cli(t, "serve", "--help")
	h.wantCode(t, exitOK)
	h.wantOut(t, "Usage: fundledger serve", "SIGTERM", "Examples:", "-addr", "-tokens", "-store")
}

// TestTokenFileReloads: a running server's verifier sees tokens created
// and revoked after it started, and keeps its tokens when the file turns
// unreadable.
func TestTokenFileReloads(t *testing.T) {
	file := filepath.Join(t.TempDir(), auth.DefaultFile)
	var logs bytes.Buffer
	tf, err := watchTokens(file, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tf.recheck = 0
	if !strings.Contains(logs.String(), "no tokens file yet") {
		t.Errorf("a missing tokens file was not logged: %s", logs.String())
	}
	first := cli(t, "tokens", "create", "--file", file, "--principal", "clerk-1", "--role", "clerk")
	first.wantCode(t, exitOK)
	a := strings.TrimSpace(first.stdout)
	if p, ok := tf.Verify(a); !ok || p.Name != "clerk-1" {
		t.Fatalf("a token created after start: %+v, %v", p, ok)
	}
	entries, err := auth.List(file)
	if err != nil {
		t.Fatal(err)
	}
	cli(t, "tokens", "revoke", "--file", file, entries[0].ID).wantCode(t, exitOK)
	if _, ok := tf.Verify(a); ok {
		t.Fatal("a token revoked after start still verifies")
	}
	second := cli(t, "tokens", "create", "--file", file, "--principal", "approver-1", "--role", "approver")
	b := strings.TrimSpace(second.stdout)
	if _, ok := tf.Verify(b); !ok {
		t.Fatal("second token does not verify")
	}
	if err := os.WriteFile(file, []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := tf.Verify(b); !ok {
		t.Error("an unreadable file dropped the tokens loaded before")
	}
	if !strings.Contains(logs.String(), "tokens file unreadable") {
		t.Errorf("an unreadable tokens file was not logged: %s", logs.String())
	}
}
