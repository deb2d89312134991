package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// succeeded collects "METHOD template" of every request that any test got
// a 2xx answer for; TestMain checks every documented route is in it.
var succeeded sync.Map

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		var missing []string
		for _, op := range documentedOperations() {
			if _, ok := succeeded.Load(op); !ok {
				missing = append(missing, op)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: documented routes no test called successfully:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// documentedOperations lists "METHOD /path/:param" of every operation in
// the OpenAPI document, in echo's path syntax.
func documentedOperations() []string {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		panic(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		panic(err)
	}
	var ops []string
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			ops = append(ops, strings.ToUpper(method)+" "+echoPath(path))
		}
	}
	slices.Sort(ops)
	return ops
}

// echoPath turns /v1/funds/{fundId} into /v1/funds/:fundId.
func echoPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			parts[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(parts, "/")
}

// Principals of the tests: name → role. "li" holds two tokens, as a clerk
// and as an approver, to test maker-checker across roles.
var principals = []struct{ key, name, role string }{
	{"admin", "zhang.admin", role.Administrator},
	{"clerk", "li", role.Clerk},
	{"clerk2", "sun.clerk", role.Clerk},
	{"li-approver", "li", role.Approver},
	{"approver", "wang.approver", role.Approver},
	{"approver2", "zhou.approver", role.Approver},
	{"treasurer", "zhao.treasurer", role.Treasurer},
	{"auditor", "qian.auditor", role.Auditor},
	{"evaluator", "wu.evaluator", role.Evaluator},
}

type harness struct {
	t      testing.TB
	l      *datadir.Ledger
	e      *echo.Echo
	tokens map[string]string
	logs   *syncBuffer
}

// syncBuffer is a log sink safe for the concurrent requests of a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testNow is the clock of every command: 1 April 2025, 09:00 Beijing.
var testNow = time.Date(2025, 4, 1, 1, 0, 0, 0, time.UTC)

func newHarness(t testing.TB) *harness { return newHarnessWith(t, nil) }

// newHarnessWith is newHarness with Config changed by configure.
func newHarnessWith(t testing.TB, configure func(*api.Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	l, err := datadir.Open(ctx, dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := l.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(dir, auth.DefaultFile)
	h := &harness{t: t, l: l, tokens: map[string]string{}, logs: &syncBuffer{}}
	for _, p := range principals {
		tok, _, err := auth.Create(tokFile, p.name, p.role, testNow)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[p.key] = tok
	}
	tokens, err := auth.Load(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher(bytes.Repeat([]byte("k"), identity.MinSecretLen))
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{
		Tokens:       tokens,
		Logger:       slog.New(slog.NewJSONHandler(h.logs, nil)),
		Now:          func() time.Time { return testNow },
		MaxBodyBytes: 64 << 10,
		Persons:      &hasher,
	}
	if configure != nil {
		configure(&cfg)
	}
	e, err := api.New(l, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err == nil && c.Response().Status < 300 {
				succeeded.Store(c.Request().Method+" "+c.Path(), true)
			}
			return err
		}
	})
	h.e = e
	return h
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t testing.TB) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d, content type %q, body %s: want a problem", r.status, ct, r.body)
	}
	var p api.Problem
	r.decode(t, &p)
	if p.Status != r.status || !strings.HasPrefix(p.Type, api.ProblemBase) || p.Title == "" {
		t.Fatalf("problem %+v does not match status %d", p, r.status)
	}
	return p
}

// req is one request to send.
type req struct {
	method, path, as string
	body             any // string or []byte sent as is, anything else as JSON
	contentType      string
	header           map[string]string
	// ctx, when set, is the request's context (a client that may go away).
	ctx context.Context
}

func (h *harness) do(r req) response {
	h.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	if ct == "" && body != nil {
		ct = "application/json"
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.ctx != nil {
		hr = hr.WithContext(r.ctx)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.as != "" {
		tok, ok := h.tokens[r.as]
		if !ok {
			h.t.Fatalf("no principal %q", r.as)
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, hr)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// must sends r and fails the test unless the answer is want.
func (h *harness) must(want int, r req) response {
	h.t.Helper()
	res := h.do(r)
	if res.status != want {
		h.t.Fatalf("%s %s as %s: status %d, want %d: %s", r.method, r.path, r.as, res.status, want, res.body)
	}
	return res
}

// head is the global position of the log's last event.
func (h *harness) head() uint64 {
	h.t.Helper()
	var after uint64
	for {
		evs, err := h.l.Store.ReadAll(context.Background(), after, 1000)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(evs) == 0 {
			return after
		}
		after = evs[len(evs)-1].Position
	}
}
