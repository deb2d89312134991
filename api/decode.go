package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
)

// decode reads the request's JSON body into v (a pointer to a struct)
// strictly: the content type must be JSON, the body one JSON value, every
// field known by its exact name, every type matching. A domain type's own
// parser (amounts as strings with at most two decimals, dates,
// identifiers) reports its rule under the field's full path.
func decode(c echo.Context, v any) error {
	if err := requireContentType(c, "application/json"); err != nil {
		return err
	}
	body := bodies.Get().(*bytes.Buffer)
	defer func() {
		if body.Cap() <= maxPooledBody {
			bodies.Put(body)
		}
	}()
	body.Reset()
	_, readErr := body.ReadFrom(c.Request().Body)
	// The usual body, one valid JSON value, is checked in one pass over
	// bytes in hand. Anything else is read again from those bytes, and
	// then the read's error, by encoding/json's decoder, which classifies
	// it exactly as when it read the body itself.
	if readErr == nil && json.Valid(body.Bytes()) {
		b := body.Bytes()
		start, end := skipSpace(b, 0), len(b)
		for end > start && isSpace(b[end-1]) {
			end--
		}
		return decodeValue(b[start:end:end], reflect.ValueOf(v).Elem(), nil)
	}
	dec := json.NewDecoder(io.MultiReader(bytes.NewReader(body.Bytes()), failingReader{readErr}))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return newProblem("malformed-json", "", "single-value", "the body must hold exactly one JSON value")
	}
	return decodeValue(raw, reflect.ValueOf(v).Elem(), nil)
}

// bodies are request bodies being decoded; decodeValue copies what it
// keeps of them.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// failingReader returns err, or io.EOF when err is nil.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) {
	if r.err == nil {
		return 0, io.EOF
	}
	return 0, r.err
}

func requireContentType(c echo.Context, want string) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != want {
		return newProblem("unsupported-media-type", "Content-Type", "content-type", "send the body as %s", want)
	}
	return nil
}

// jsonError classifies what reading one JSON value reports.
func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return newProblem("malformed-json", "", "required", "the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem("malformed-json", "", "json-syntax", "the body ends in the middle of a JSON value")
	case errors.As(err, &syn):
		return newProblem("malformed-json", "", "json-syntax", "JSON syntax error at byte %d", syn.Offset)
	}
	return newProblem("malformed-json", "", "json-syntax", "the body cannot be read as JSON")
}

// queryInt reads an optional integer query parameter.
func queryInt(c echo.Context, name string, def int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errParam(name, "integer", "%s must be an integer", name)
	}
	return n, nil
}

// queryDate reads a required YYYY-MM-DD query parameter.
func queryDate(c echo.Context, name string) (calendar.Date, error) {
	s := c.QueryParam(name)
	if s == "" {
		return calendar.Date{}, errParam(name, "required", "%s (YYYY-MM-DD) is required", name)
	}
	d, err := calendar.Parse(name, s)
	if err != nil {
		return calendar.Date{}, errParam(name, "date", "%s must be a date YYYY-MM-DD", name)
	}
	return d, nil
}
