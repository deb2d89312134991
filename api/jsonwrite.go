package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// jsonBody is a response body being encoded, with its encoder, kept in a
// pool: echo's c.JSON makes an encoder per response and writes through
// it, and every response is JSON.
type jsonBody struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonBodies = sync.Pool{New: func() any {
	b := new(jsonBody)
	b.enc = json.NewEncoder(&b.buf)
	return b
}}

// maxPooledBody bounds the buffers kept for reuse, so one large listing
// does not pin its buffer for good.
const maxPooledBody = 64 << 10

// writeJSON answers status with v as JSON, byte for byte what c.JSON
// writes (encoding/json with HTML escaping, a final newline, Content-Type
// application/json). A request that may ask for indentation (echo's debug
// mode, a ?pretty parameter) is left to c.JSON itself.
func writeJSON(c echo.Context, status int, v any) error {
	if q := c.Request().URL.RawQuery; c.Echo().Debug || strings.Contains(q, "pretty") || strings.Contains(q, "%") {
		return c.JSON(status, v)
	}
	b := jsonBodies.Get().(*jsonBody)
	defer func() {
		if b.buf.Cap() <= maxPooledBody {
			jsonBodies.Put(b)
		}
	}()
	b.buf.Reset()
	if err := b.enc.Encode(v); err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b.buf.Bytes())
}
