package hire

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var (
	at     = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	person = "3f1c2b7a9d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
	hired  = calendar.MustParse("2025-01-31")
)

func status(months int, asOf string, insured bool) RecordInsuredStatus {
	return RecordInsuredStatus{Months: months, AsOf: calendar.MustParse(asOf), Insured: insured, Actor: "clerk1", Role: role.Clerk, At: at}
}

func wantRule(t *testing.T, err error, target error, rule string) {
	t.Helper()
	var fe *domain.FieldError
	var re *domain.RuleError
	if !errors.Is(err, target) || (errors.As(err, &fe) && fe.Rule != rule) || (errors.As(err, &re) && re.Rule != rule) {
		t.Fatalf("error = %v, want %v rule %s", err, target, rule)
	}
}

func TestHireCheckpoints(t *testing.T) {
	l := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
	_, err := l.Do(status(3, "2025-04-30", true))
	wantRule(t, err, domain.ErrRejected, "hire-recorded")
	rec := Record{HireID: "h1", Person: person, Employer: "91350100m000100y43", HiredOn: hired, Insured: true, ClaimID: "c1", Actor: "clerk1", Role: role.Clerk, At: at}
	plain := rec
	plain.Person = "632801199903151230"
	_, err = l.Do(plain)
	wantRule(t, err, domain.ErrInvalid, "person-ref")
	l.Must(rec)
	if l.State.Employer != "91350100M000100Y43" {
		t.Fatalf("employer %s not canonical", l.State.Employer)
	}
	_, err = l.Do(rec)
	wantRule(t, err, domain.ErrRejected, "hire-recorded-once")
	// 2025-01-31 + 3 months is 2025-04-30 (clamped to the month's end).
	_, err = l.Do(status(3, "2025-04-29", true))
	wantRule(t, err, domain.ErrRejected, "checkpoint-reached")
	l.Must(status(3, "2025-04-30", true))
	_, err = l.Do(status(3, "2025-05-30", false))
	wantRule(t, err, domain.ErrRejected, "checkpoint-once")
	_, err = l.Do(status(4, "2025-06-30", true))
	wantRule(t, err, domain.ErrInvalid, "checkpoint")
	l.Must(status(6, "2025-08-01", true))
	l.Must(status(12, "2026-02-01", false))
	if cp := l.State.Checkpoints; len(cp) != 3 || !cp[6].Insured || cp[12].Insured {
		t.Fatalf("checkpoints %v", cp)
	}
}
