package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// TestOpenAPIMatchesRoutes: every route the server registers is in the
// OpenAPI document and every documented operation is registered. (That
// every documented operation is called successfully by some test is
// checked in TestMain.)
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := newHarness(t)
	var registered []string
	for _, r := range h.e.Routes() {
		if r.Method == http.MethodGet || r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodDelete || r.Method == http.MethodPatch {
			registered = append(registered, r.Method+" "+r.Path)
		}
	}
	slices.Sort(registered)
	documented := documentedOperations()
	for _, op := range registered {
		if !slices.Contains(documented, op) {
			t.Errorf("registered but not documented: %s", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("documented but not registered: %s", op)
		}
	}
	res := h.must(http.StatusOK, req{method: "GET", path: "/v1/openapi.json"})
	var doc map[string]any
	res.decode(t, &doc)
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("served document: openapi = %v", doc["openapi"])
	}
	if !json.Valid(res.body) || len(doc["paths"].(map[string]any)) == 0 {
		t.Fatal("served document has no paths")
	}
}
