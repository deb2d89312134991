package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// decodeByDecoder is decode as it was before it read the body into a
// buffer: encoding/json's decoder reading the body itself.
func decodeByDecoder(c echo.Context, v any) error {
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
	return decodeValue(raw, reflect.ValueOf(v).Elem(), nil)
}

type decodeProbe struct {
	Name   string        `json:"name"`
	Count  int           `json:"count"`
	Amount money.Amount  `json:"amount"`
	On     calendar.Date `json:"on"`
	Items  []struct {
		ID string `json:"id"`
	} `json:"items"`
}

// brokenReader yields its text, then fails.
type brokenReader struct {
	text string
	err  error
}

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, r.err
	}
	n := copy(p, r.text)
	r.text = r.text[n:]
	return n, nil
}

// TestDecodeClassifiesAsTheDecoderDid: for bodies good and bad, of
// undeclared length (so that only reading finds one too large), and
// bodies whose reading fails, decode gives the value or the problem that
// encoding/json's decoder reading the body gave.
func TestDecodeClassifiesAsTheDecoderDid(t *testing.T) {
	const limit = 256
	long := strings.Repeat("x", 2*limit)
	bodies := []string{
		`{"name":"a","count":2,"amount":"12.50","on":"2025-03-01","items":[{"id":"i1"},{"id":"i2"}]}`,
		"  \n{\"name\" : \"b\"}\r\n\t ",
		`{"name":"c"}{"name":"d"}`,
		`{"name":"c"} x`,
		`{"name":`,
		`{"name":"e",}`,
		``,
		`   `,
		`[]`,
		`null`,
		`{"count":1.5}`,
		`{"amount":12.5}`,
		`{"Name":"f"}`,
		`{"items":[{"id":1}]}`,
		`{"name":"` + long + `"}`,
		`{"name":"g"}` + strings.Repeat(" ", 2*limit),
		`{"name":"h"}` + long,
		`{"name":"` + long,
		`{"name":"\u00e9\"q\"","count":-3}`,
	}
	e := echo.New()
	run := func(decode func(echo.Context, any) error, body io.Reader) (decodeProbe, Problem, bool) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/x", body)
		r.ContentLength = -1
		r.Header.Set(echo.HeaderContentType, "application/json")
		r.Body = http.MaxBytesReader(rec, r.Body, limit)
		var got decodeProbe
		err := decode(e.NewContext(r, rec), &got)
		if err == nil {
			return got, Problem{}, true
		}
		p, _ := problemOf(err)
		return got, p, false
	}
	check := func(name string, body func() io.Reader) {
		wantV, wantP, wantOK := run(decodeByDecoder, body())
		gotV, gotP, gotOK := run(decode, body())
		if gotOK != wantOK || gotP != wantP || (wantOK && !reflect.DeepEqual(gotV, wantV)) {
			t.Errorf("%s: decode gave %v %+v %+v, the decoder %v %+v %+v", name, gotOK, gotP, gotV, wantOK, wantP, wantV)
		}
	}
	for _, b := range bodies {
		check(b[:min(len(b), 40)], func() io.Reader { return strings.NewReader(b) })
	}
	for _, b := range []string{``, `{"name":"x"}`, `{"name":"x`} {
		for _, fail := range []error{io.ErrUnexpectedEOF, errors.New("connection reset")} {
			check(b+" then "+fail.Error(), func() io.Reader { return &brokenReader{text: b, err: fail} })
		}
	}
}
