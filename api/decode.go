package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"

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
	dec := json.NewDecoder(c.Request().Body)
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
	return decodeValue(raw, reflect.ValueOf(v).Elem(), "")
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
