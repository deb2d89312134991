package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// wireConn is one worker's keep-alive connection, on which it writes its
// requests itself and reads each answer with net/http's parser. The
// generator shares the machine's cores with the server it measures, and
// net/http's Transport spends two goroutines per connection and a
// hand-off between them on every request; a worker sends one request at
// a time and needs none of that. Every answer is still read whole and its
// status checked, as apiClient.do does.
type wireConn struct {
	c    *apiClient
	conn net.Conn
	br   *bufio.Reader
	// stop ends the watch that closes conn when the run's context ends.
	stop func() bool
	req  []byte
}

// newWireConn returns a connection to c's server, or nil when c's base URL
// is not plain http (the worker then goes through c.do).
func (c *apiClient) newWireConn() *wireConn {
	if c.addr == "" {
		return nil
	}
	return &wireConn{c: c}
}

// requestTimeout bounds one request, as the http.Client's Timeout does.
const requestTimeout = time.Minute

// do is apiClient.do on this connection: it sends one request as role and
// reads the whole answer into buf; any status outside 2xx is an error. A
// request that fails otherwise closes the connection, and the next one
// dials a new one.
func (w *wireConn) do(ctx context.Context, buf *bytes.Buffer, method, path, asRole, key string, body []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", w.c.addr)
		if err != nil {
			return err
		}
		w.c.dials.Add(1)
		w.conn, w.br = conn, bufio.NewReaderSize(conn, 16<<10)
		w.stop = context.AfterFunc(ctx, func() { conn.Close() })
	}
	err := w.roundTrip(buf, method, path, asRole, key, body)
	var se *statusError
	if err != nil && !errors.As(err, &se) {
		w.close()
	}
	return err
}

func (w *wireConn) roundTrip(buf *bytes.Buffer, method, path, asRole, key string, body []byte) error {
	r := append(w.req[:0], method...)
	r = append(r, ' ')
	r = append(r, w.c.prefix...)
	r = append(r, path...)
	r = append(r, " HTTP/1.1\r\nHost: "...)
	r = append(r, w.c.host...)
	if asRole != "" {
		r = append(r, "\r\nAuthorization: "...)
		r = append(r, w.c.auth[asRole]...)
	}
	if key != "" {
		r = append(r, "\r\nIdempotency-Key: "...)
		r = append(r, key...)
	}
	if body != nil {
		r = append(r, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		r = strconv.AppendInt(r, int64(len(body)), 10)
	}
	r = append(r, "\r\n\r\n"...)
	r = append(r, body...)
	w.req = r
	if err := w.conn.SetDeadline(time.Now().Add(requestTimeout)); err != nil {
		return err
	}
	if _, err := w.conn.Write(r); err != nil {
		return err
	}
	res, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return err
	}
	buf.Reset()
	_, err = buf.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.Close {
		w.close()
	}
	return checkStatus(res.StatusCode, buf)
}

// close closes the connection, if open.
func (w *wireConn) close() {
	if w.conn == nil {
		return
	}
	w.stop()
	w.conn.Close()
	w.conn, w.br = nil, nil
}
