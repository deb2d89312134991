// Package domain holds the business of an employment-subsidy fund as pure
// code: its subpackages decide (a command plus current state gives events or
// a typed error) and evolve (events folded in order give state). Nothing
// under domain performs I/O, reads a clock or keeps global state.
//
// This package holds what every subpackage shares: the error types that name
// the field and the rule a command broke.
package domain
