package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/haixi-hrss/fundledger/domain/role"
)

// benchRoles are the roles whose tokens the API bench needs: the
// administrator sets the ledger up, the others run the cycles and the
// queries. Clerk and approver are different principals, as maker-checker
// requires.
var benchRoles = []string{role.Administrator, role.Clerk, role.Approver, role.Treasurer, role.Evaluator}

// readBenchTokens reads a token file for --url: a JSON object from role
// to bearer token, e.g. {"clerk": "fl_…", "approver": "fl_…", …}.
func readBenchTokens(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tokens map[string]string
	if err := json.Unmarshal(b, &tokens); err != nil {
		return nil, fmt.Errorf("token file %s: want a JSON object from role to token: %w", path, err)
	}
	for _, r := range benchRoles {
		if tokens[r] == "" {
			return nil, fmt.Errorf("token file %s has no %s token", path, r)
		}
	}
	return tokens, nil
}

// apiClient sends the bench's requests over at most conns keep-alive
// connections to one server.
type apiClient struct {
	base   string
	auth   map[string]string // role → Authorization header
	client *http.Client
	dials  atomic.Int64
	// addr, host and prefix are base's address to dial, Host header and
	// path when it is plain http, which the workers' wire connections
	// speak (see wireConn); addr is empty otherwise.
	addr, host, prefix string
}

func newAPIClient(base string, tokens map[string]string, conns int) *apiClient {
	c := &apiClient{base: strings.TrimSuffix(base, "/"), auth: map[string]string{}}
	for r, t := range tokens {
		c.auth[r] = "Bearer " + t
	}
	if u, err := url.Parse(c.base); err == nil && u.Scheme == "http" && u.Host != "" && u.User == nil {
		c.addr, c.host, c.prefix = u.Host, u.Host, u.Path
		if u.Port() == "" {
			c.addr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c.dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		// Exactly conns connections, all kept alive between requests.
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		MaxIdleConns:        conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	c.client = &http.Client{Transport: transport, Timeout: time.Minute}
	return c
}

func (c *apiClient) close() { c.client.CloseIdleConnections() }

// statusError is a non-2xx answer.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

// checkStatus returns a *statusError, with the start of the body read into
// buf, for a status outside 2xx.
func checkStatus(status int, buf *bytes.Buffer) error {
	if status >= 200 && status <= 299 {
		return nil
	}
	b := buf.String()
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return &statusError{status: status, body: strings.TrimSpace(b)}
}

// do sends one request as role and reads the whole answer into buf. Any
// status outside 2xx is an error carrying the start of the body. key,
// when not empty, is sent as the Idempotency-Key.
func (c *apiClient) do(ctx context.Context, buf *bytes.Buffer, method, path, asRole, key string, body []byte) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if asRole != "" {
		req.Header.Set("Authorization", c.auth[asRole])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return err
	}
	return checkStatus(res.StatusCode, buf)
}

// doJSON is do with a body marshalled from in and, when out is not nil,
// the answer decoded into it.
func (c *apiClient) doJSON(ctx context.Context, method, path, asRole, key string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := c.do(ctx, &buf, method, path, asRole, key, body); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(buf.Bytes(), out)
}

// isStatus reports whether err is a non-2xx answer with status code.
func isStatus(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.status == code
}
