// Package role names who may do what in the ledger, and holds the one check
// every aggregate applies to a command's issuer.
package role

import (
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
)

// The roles of domain.md. A principal acts in exactly one role per command.
const (
	// Clerk (经办) receives applications, records evidence and outcomes,
	// and submits claims.
	Clerk = "clerk"
	// Approver (审核/审批) approves or rejects claims; never one they
	// submitted.
	Approver = "approver"
	// Treasurer (财务/拨付) releases approved, disclosed claims for payment
	// and records bank results.
	Treasurer = "treasurer"
	// Auditor (审计) reads everything and changes nothing.
	Auditor = "auditor"
	// Evaluator (绩效评价) reads aggregate performance only.
	Evaluator = "evaluator"
	// Administrator (管理) opens funds, allocates budgets, publishes policy
	// versions and sets targets.
	Administrator = "administrator"
)

// Authorize checks who issues a command: an actor must be named, the
// command must carry its time, and role must be one of allowed. A missing
// actor or time is malformed input (*domain.FieldError); a wrong role is a
// refusal (*domain.RuleError) whose rule names the roles that may act.
func Authorize(actor, role string, at time.Time, allowed ...string) error {
	if strings.TrimSpace(actor) == "" {
		return domain.Invalid("actor", "required", "the acting user is missing")
	}
	if at.IsZero() {
		return domain.Invalid("at", "required", "the time of the command is missing")
	}
	if slices.Contains(allowed, role) {
		return nil
	}
	return domain.Reject("role-"+strings.Join(allowed, "-or-"), "role",
		"role %q may not do this; it needs %s", role, strings.Join(allowed, " or "))
}
