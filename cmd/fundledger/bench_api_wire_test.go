package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWireConnChecksEveryAnswer: the workers' own connection sends the
// headers and body the server needs, reads answers of either framing
// whole over one kept-alive connection, and reports a status outside 2xx
// as an error, as the http.Client path does.
func TestWireConnChecksEveryAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Header.Get("Authorization") != "Bearer tok-clerk" || r.Header.Get("Idempotency-Key") != "k1":
			http.Error(w, "missing headers", http.StatusBadRequest)
		case r.URL.Path == "/base/big":
			// Larger than the server's buffer: sent chunked.
			fmt.Fprint(w, strings.Repeat("x", 10000))
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "end")
		case r.URL.Path == "/base/refused":
			http.Error(w, `{"title":"refused"}`, http.StatusConflict)
		default:
			fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("Content-Type"), body)
		}
	}))
	defer srv.Close()
	c := newAPIClient(srv.URL+"/base", map[string]string{"clerk": "tok-clerk"}, 1)
	w := c.newWireConn()
	if w == nil {
		t.Fatal("no wire connection for a plain http server")
	}
	defer w.close()
	ctx := context.Background()
	var buf bytes.Buffer
	if err := w.do(ctx, &buf, http.MethodPost, "/echo", "clerk", "k1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != `POST application/json {"a":1}` {
		t.Fatalf("answer %q", got)
	}
	if err := w.do(ctx, &buf, http.MethodGet, "/big", "clerk", "k1", nil); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 10003 || !strings.HasSuffix(buf.String(), "end") {
		t.Fatalf("chunked answer read as %d bytes", buf.Len())
	}
	err := w.do(ctx, &buf, http.MethodPost, "/refused", "clerk", "k1", []byte(`{}`))
	if !isStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("a 409 answered %v, want a status error carrying the body", err)
	}
	if err := w.do(ctx, &buf, http.MethodGet, "/echo", "", "", nil); !isStatus(err, http.StatusBadRequest) {
		t.Fatalf("a request without the headers answered %v, want 400", err)
	}
	if err := w.do(ctx, &buf, http.MethodGet, "/echo", "clerk", "k1", nil); err != nil {
		t.Fatal(err)
	}
	// A refusal is an answer: the connection stays open.
	if n := c.dials.Load(); n != 1 {
		t.Fatalf("%d connections dialled, want the one kept alive", n)
	}
	// A broken connection is dialled again.
	w.conn.Close()
	if err := w.do(ctx, &buf, http.MethodGet, "/echo", "clerk", "k1", nil); err == nil {
		t.Fatal("a request on a closed connection succeeded")
	}
	if err := w.do(ctx, &buf, http.MethodGet, "/echo", "clerk", "k1", nil); err != nil {
		t.Fatal(err)
	}
	if n := c.dials.Load(); n != 2 {
		t.Fatalf("%d connections dialled, want 2", n)
	}
}

// TestWireConnOnlyForPlainHTTP: another scheme goes through the
// http.Client.
func TestWireConnOnlyForPlainHTTP(t *testing.T) {
	if w := newAPIClient("https://127.0.0.1:8443", nil, 1).newWireConn(); w != nil {
		t.Fatal("a wire connection for https")
	}
}
