package role

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestAuthorize(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		actor, role  string
		at           time.Time
		allowed      []string
		field, rule  string
		wantRejected bool
	}{
		{"allowed", "a-1", Clerk, at, []string{Clerk}, "", "", false},
		{"one of several", "a-1", Treasurer, at, []string{Approver, Treasurer}, "", "", false},
		{"no actor", " ", Clerk, at, []string{Clerk}, "actor", "required", false},
		{"no time", "a-1", Clerk, time.Time{}, []string{Clerk}, "at", "required", false},
		{"wrong role", "a-1", Clerk, at, []string{Administrator}, "role", "role-administrator", true},
		{"wrong of several", "a-1", Evaluator, at, []string{Approver, Treasurer}, "role", "role-approver-or-treasurer", true},
		{"empty role", "a-1", "", at, []string{Clerk}, "role", "role-clerk", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Authorize(tt.actor, tt.role, tt.at, tt.allowed...)
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("Authorize = %v, want nil", err)
				}
				return
			}
			var fe *domain.FieldError
			var re *domain.RuleError
			switch {
			case tt.wantRejected && errors.As(err, &re):
				if re.Field != tt.field || re.Rule != tt.rule {
					t.Fatalf("RuleError field %q rule %q, want %q %q", re.Field, re.Rule, tt.field, tt.rule)
				}
			case !tt.wantRejected && errors.As(err, &fe):
				if fe.Field != tt.field || fe.Rule != tt.rule {
					t.Fatalf("FieldError field %q rule %q, want %q %q", fe.Field, fe.Rule, tt.field, tt.rule)
				}
			default:
				t.Fatalf("Authorize = %v (%T), want rejected=%v with rule %s", err, err, tt.wantRejected, tt.rule)
			}
		})
	}
}
