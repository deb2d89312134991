package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestProblemOf pins the one mapping from errors to problems, wrapped as
// handlers return them.
func TestProblemOf(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("ledger: approve on claim-1: %w", err) }
	tests := []struct {
		name         string
		err          error
		status       int
		slug         string
		field, rule  string
		logsInternal bool
	}{
		{"field error", wrap(domain.Invalid("amount", "positive", "no")), 422, "invalid-field", "amount", "positive", false},
		{"rule error", wrap(domain.Reject("maker-checker", "", "no")), 409, "rule-violation", "", "maker-checker", false},
		{"role refused by the domain", wrap(domain.Reject("role-approver", "role", "no")), 403, "forbidden", "role", "role-approver", false},
		{"idempotency mismatch", wrap(&ledger.IdempotencyMismatchError{Key: "k"}), 422, "idempotency-key-reused", "Idempotency-Key", "same-request", false},
		{"duplicate", wrap(&ledger.DuplicateError{Owner: "claim-7"}), 409, "duplicate", "", "unique", false},
		{"conflict", wrap(&ledger.ConflictError{Stream: "s", Attempts: 8}), 409, "concurrent-modification", "", "", false},
		{"step pending", wrap(&ledger.StepPendingError{Stream: "claim-1", Step: "spend", Err: context.DeadlineExceeded}), 503, "step-pending", "", "budget-step", true},
		{"body too large", wrap(&http.MaxBytesError{Limit: 10}), 413, "body-too-large", "", "max-body-bytes", false},
		{"cancelled", wrap(context.Canceled), 503, "unavailable", "", "deadline", false},
		{"api problem", errNotFound("claimId", "no"), 404, "not-found", "claimId", "exists", false},
		{"anything else", errors.New("disk on fire"), 500, "internal", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, logIt := problemOf(tt.err)
			if p.Status != tt.status || p.Type != ProblemBase+tt.slug || p.Field != tt.field || p.Rule != tt.rule || logIt != tt.logsInternal {
				t.Fatalf("problemOf = %+v, log %v", p, logIt)
			}
			if p.Title != problemTypes[tt.slug].title || problemTypes[tt.slug].status != p.Status {
				t.Fatalf("title/status not from the type table: %+v", p)
			}
		})
	}
}

// TestProblemTypesDocumented: the OpenAPI document names every problem
// type a client may meet.
func TestProblemTypesDocumented(t *testing.T) {
	for slug := range problemTypes {
		if !strings.Contains(string(openAPIDoc), slug) {
			t.Errorf("problem type %s is not in openapi.json", slug)
		}
	}
}
