package domain

import (
	"errors"
	"fmt"
)

// ErrInvalid matches every *FieldError: the input is malformed or out of
// range, independent of the ledger's state.
var ErrInvalid = errors.New("invalid input")

// ErrRejected matches every *RuleError: the input is well formed, but the
// ledger's state or policy forbids it.
var ErrRejected = errors.New("rejected by rule")

// FieldError names the input field that is wrong and the rule it breaks.
type FieldError struct {
	// Field is the input's name as a user sees it, e.g. "amount".
	Field string
	// Rule is a stable, machine-readable rule name, e.g. "max-2-decimals".
	Rule string
	// Detail is a human sentence saying what was wrong.
	Detail string
}

// Invalid returns a *FieldError.
func Invalid(field, rule, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s (rule %s)", e.Field, e.Detail, e.Rule)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// RuleError reports a command refused by a business rule; nothing changes.
type RuleError struct {
	// Rule is a stable, machine-readable rule name, e.g.
	// "budget-available".
	Rule string
	// Field names the input the rule concerns, if any.
	Field string
	// Detail is a human sentence saying why.
	Detail string
}

// Reject returns a *RuleError.
func Reject(rule, field, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func (e *RuleError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s (rule %s)", e.Detail, e.Rule)
	}
	return fmt.Sprintf("%s: %s (rule %s)", e.Field, e.Detail, e.Rule)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RuleError) Is(target error) bool { return target == ErrRejected }
