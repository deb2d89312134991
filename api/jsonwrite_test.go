package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestWriteJSONIsWhatEchoWrites: a pooled encoder answers with the same
// status, headers and bytes as echo's c.JSON, including HTML escaping,
// the final newline and ?pretty indentation, and a reused buffer keeps
// nothing of the response before.
func TestWriteJSONIsWhatEchoWrites(t *testing.T) {
	e := echo.New()
	bodies := []any{
		CommandResponse{Position: 7, Events: []EventView{{Stream: "claim-<a&b>", Version: 2, Type: "ClaimApproved",
			Data: map[string]any{"reason": "ok \u2028 \"quoted\" 财", "amount": "1500.00"}}}},
		CommandResponse{Events: []EventView{}},
		map[string]string{"status": "ok"},
	}
	for _, target := range []string{"/v1/x", "/v1/x?limit=5", "/v1/x?pretty", "/v1/x?pr%65tty=1"} {
		for _, body := range bodies {
			answer := func(write func(echo.Context) error) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				c := e.NewContext(httptest.NewRequest(http.MethodPost, target, nil), rec)
				if err := write(c); err != nil {
					t.Fatal(err)
				}
				return rec
			}
			want := answer(func(c echo.Context) error { return c.JSON(http.StatusCreated, body) })
			for range 2 {
				got := answer(func(c echo.Context) error { return writeJSON(c, http.StatusCreated, body) })
				if got.Code != want.Code || got.Body.String() != want.Body.String() ||
					got.Header().Get(echo.HeaderContentType) != want.Header().Get(echo.HeaderContentType) {
					t.Fatalf("%s: writeJSON answered %d %q %q, c.JSON %d %q %q", target,
						got.Code, got.Header().Get(echo.HeaderContentType), got.Body,
						want.Code, want.Header().Get(echo.HeaderContentType), want.Body)
				}
			}
		}
	}
}
