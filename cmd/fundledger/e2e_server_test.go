package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/identity"
)

// The end-to-end tests drive the real binary: the test binary re-executed
// as fundledger (TestMain runs main under runMainEnv), so the server is a
// separate process listening on a loopback port, stopped with SIGTERM.

// e2eCommand is the test binary run as fundledger. Under -race, a
// process waits a second at exit for the race detector's report
// (GORACE atexit_sleep_ms); the children skip that wait, which would
// otherwise be most of the test's time. Races still fail them.
func e2eCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// e2eProcess runs fundledger as a separate process and returns its exit
// code and output.
func e2eProcess(t *testing.T, args ...string) result {
	t.Helper()
	cmd := e2eCommand(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errOut.String()}
}

// e2eServer is a running `fundledger serve` process.
type e2eServer struct {
	cmd            *exec.Cmd
	base           string
	stdout, stderr *syncBuffer
	exited         chan error
}

// e2eStart starts `fundledger serve` on a free loopback port over dir and
// waits until it listens and /readyz answers 200.
func e2eStart(t *testing.T, dir, secretFile string) *e2eServer {
	t.Helper()
	cmd := e2eCommand("serve", "--addr", "127.0.0.1:0", "--data", dir, "--person-secret-file", secretFile)
	s := &e2eServer{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// A failed test may leave the process running; stop it by its
		// own PID.
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for s.base == "" {
		if m := listeningLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = "http://" + m[1]
			break
		}
		s.failIfExited(t, deadline)
		time.Sleep(5 * time.Millisecond)
	}
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		s.failIfExited(t, deadline)
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *e2eServer) failIfExited(t *testing.T, deadline time.Time) {
	t.Helper()
	select {
	case err := <-s.exited:
		s.exited <- err
		t.Fatalf("serve exited before it was ready (%v):\n%s", err, s.stderr.String())
	default:
	}
	if time.Now().After(deadline) {
		t.Fatalf("serve was not ready in time:\n%s", s.stderr.String())
	}
}

// stop sends SIGTERM and requires a clean exit (code 0) that logged the
// saved checkpoint.
func (s *e2eServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			log := s.stderr.String()
			// Under -race a child that saw a data race exits 66; its report
			// is what matters, not the access log before it.
			if i := strings.Index(log, "WARNING: DATA RACE"); i >= 0 {
				log = log[i:]
			}
			t.Fatalf("serve did not exit 0 on SIGTERM: %v\n%s", err, log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM:\n%s", s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), `"msg":"stopped"`) {
		t.Fatalf("serve exited without logging its clean stop:\n%s", s.stderr.String())
	}
}

// e2eSecret writes a ledger secret for keyed person references.
func e2eSecret(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "person.key")
	if err := os.WriteFile(path, bytes.Repeat([]byte("e2e-secret-"), 4)[:identity.MinSecretLen+4], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// e2eToken creates a token with the real `fundledger tokens create`
// process and returns it.
func e2eToken(t *testing.T, dir, principal, role string) string {
	t.Helper()
	r := e2eProcess(t, "tokens", "create", "--data", dir, "--principal", principal, "--role", role)
	r.wantCode(t, exitOK)
	token := strings.TrimSpace(r.stdout)
	if token == "" || strings.Contains(token, "\n") {
		t.Fatalf("tokens create printed %q, want one token", r.stdout)
	}
	return token
}

// e2eClient speaks to the server as the roles do, each with its own
// token, and remembers the log position the last command reached.
type e2eClient struct {
	t      *testing.T
	base   string
	tokens map[string]string
	head   uint64
}

// e2eResp is one answer.
type e2eResp struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request as principal as (no token if empty); body is JSON
// unless it is a string.
func (c *e2eClient) do(as, method, path string, body any, header ...string) e2eResp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if as != "" {
		tok, ok := c.tokens[as]
		if !ok {
			c.t.Fatalf("no token for %q", as)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return e2eResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// must sends a request and fails the test unless it answers want. A
// command's answer moves the remembered head.
func (c *e2eClient) must(want int, as, method, path string, body any, header ...string) e2eResp {
	c.t.Helper()
	r := c.do(as, method, path, body, header...)
	if r.status != want {
		c.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, as, r.status, want, r.body)
	}
	command := strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v1/batches/") && !strings.HasPrefix(path, "/v1/evaluation/")
	if method == http.MethodPost && r.status < 300 && command {
		var cr api.CommandResponse
		r.decode(c.t, &cr)
		if cr.Position < c.head {
			c.t.Fatalf("%s %s answered position %d, behind %d", method, path, cr.Position, c.head)
		}
		c.head = cr.Position
	}
	return r
}

// get reads path as principal as into v, requiring 200.
func (c *e2eClient) get(as, path string, v any) {
	c.t.Helper()
	c.must(http.StatusOK, as, http.MethodGet, path, nil).decode(c.t, v)
}

// post sends a command that must succeed with want.
func (c *e2eClient) post(want int, as, path string, body any) api.CommandResponse {
	c.t.Helper()
	var cr api.CommandResponse
	c.must(want, as, http.MethodPost, path, body).decode(c.t, &cr)
	return cr
}

// refused sends a request that must fail with status and a problem of
// type slug naming rule, and returns the problem.
func (c *e2eClient) refused(status int, slug, rule, as, method, path string, body any) api.Problem {
	c.t.Helper()
	r := c.do(as, method, path, body)
	p := r.problem(c.t, status)
	if p.Type != api.ProblemBase+slug || (rule != "" && p.Rule != rule) {
		c.t.Fatalf("%s %s as %s: problem %+v, want type %s rule %q", method, path, as, p, slug, rule)
	}
	return p
}

func (r e2eResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem requires an RFC 9457 problem with status.
func (r e2eResp) problem(t *testing.T, status int) api.Problem {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d (%s), want a %d problem: %s", r.status, r.header.Get("Content-Type"), status, r.body)
	}
	var p api.Problem
	r.decode(t, &p)
	if p.Status != status || p.Title == "" {
		t.Fatalf("problem %+v does not describe a %d", p, status)
	}
	return p
}

// e2eVerifyCLI runs `fundledger verify --expect digest` as a process on
// a stopped server's data and requires an intact ledger of events events.
func e2eVerifyCLI(t *testing.T, dir, digest string, events uint64) {
	t.Helper()
	r := e2eProcess(t, "verify", "--data", dir, "--expect", digest)
	r.wantCode(t, exitOK)
	r.wantOutFields(t, "ledger intact: "+dir, fmt.Sprintf("events %d", events), fmt.Sprintf("last position %d", events),
		"digest "+digest, "expected digest matched")
}
