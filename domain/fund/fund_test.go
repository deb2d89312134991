package fund

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var (
	at   = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	line = budget.LineID("f1", programme.VocationalTraining, region.Golmud, 2025)
)

func newLog(t *testing.T) *aggregatetest.Log[State, Command] {
	return aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
}

func open() Open {
	return Open{FundID: "f1", Name: "海西州就业补助资金", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: Prefecture, Region: region.Haixi, Actor: "admin1", Role: role.Administrator, At: at}
}

func receive(doc, amount string) ReceiveTransfer {
	return ReceiveTransfer{Document: doc, Amount: money.MustParse(amount), Source: "青海省财政厅",
		ReceivedOn: calendar.MustParse("2025-03-01"), Actor: "admin1", Role: role.Administrator, At: at}
}

func allocate(id, amount string) Allocate {
	return Allocate{AllocationID: id, Programme: programme.VocationalTraining,
		Region: region.Golmud, Amount: money.MustParse(amount), Actor: "admin1", Role: role.Administrator, At: at}
}

func revoke(id, amount string) RecordRevocation {
	return RecordRevocation{RevocationID: id, BudgetLineID: line, Amount: money.MustParse(amount),
		Reason: "slow execution", Actor: "admin1", Role: role.Administrator, At: at}
}

// funded returns a log of an open fund that received 1,000.00 yuan.
func funded(t *testing.T) *aggregatetest.Log[State, Command] {
	l := newLog(t)
	l.Must(open())
	l.Must(receive("财社〔2025〕12号", "1000.00"))
	return l
}

func wantRule(t *testing.T, err error, target error, rule string) {
	t.Helper()
	var fe *domain.FieldError
	var re *domain.RuleError
	switch {
	case !errors.Is(err, target):
		t.Fatalf("error = %v, want %v with rule %s", err, target, rule)
	case errors.As(err, &fe) && fe.Rule != rule, errors.As(err, &re) && re.Rule != rule:
		t.Fatalf("error = %v, want rule %s", err, rule)
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Open)
		target error
		rule   string
	}{
		{"accepted", func(*Open) {}, nil, ""},
		{"no id", func(c *Open) { c.FundID = " " }, domain.ErrInvalid, "stream-id"},
		{"no name", func(c *Open) { c.Name = "" }, domain.ErrInvalid, "required"},
		{"year before range", func(c *Open) { c.FiscalYear = 2019 }, domain.ErrInvalid, "fiscal-year"},
		{"unknown kind", func(c *Open) { c.Kind = "pension" }, domain.ErrInvalid, "fund-kind"},
		{"unknown level", func(c *Open) { c.Level = "township" }, domain.ErrInvalid, "known-level"},
		{"region outside Haixi", func(c *Open) { c.Region = "110105" }, domain.ErrInvalid, "haixi-region"},
		{"no actor", func(c *Open) { c.Actor = "" }, domain.ErrInvalid, "required"},
		{"no time", func(c *Open) { c.At = time.Time{} }, domain.ErrInvalid, "required"},
		{"clerk", func(c *Open) { c.Role = "clerk" }, domain.ErrRejected, "role-administrator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			c := open()
			tt.change(&c)
			_, err := l.Do(c)
			if tt.target == nil {
				if err != nil || !l.State.Opened || l.State.FiscalYear != 2025 {
					t.Fatalf("Open = %v, state %+v", err, l.State)
				}
				return
			}
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	l := newLog(t)
	l.Must(open())
	_, err := l.Do(open())
	wantRule(t, err, domain.ErrRejected, "fund-open-once")
}

func TestReceiveTransfer(t *testing.T) {
	tests := []struct {
		name   string
		cmd    ReceiveTransfer
		target error
		rule   string
	}{
		{"second document", receive("财社〔2025〕13号", "0.01"), nil, ""},
		{"provincial document", receive("青财社字〔2025〕7号", "500"), nil, ""},
		{"same document again", receive("财社〔2025〕12号", "5"), domain.ErrRejected, "transfer-document-unique"},
		{"no document", receive("", "5"), domain.ErrInvalid, "document-number"},
		{"plain brackets", receive("财社[2025]12号", "5"), domain.ErrInvalid, "document-number"},
		{"zero amount", receive("财社〔2025〕14号", "0"), domain.ErrInvalid, "positive"},
		{"negative amount", receive("财社〔2025〕14号", "-1"), domain.ErrInvalid, "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := funded(t)
			_, err := l.Do(tt.cmd)
			if tt.target == nil {
				if err != nil || !l.State.Received.Equal(money.MustParse("1000").Add(tt.cmd.Amount)) {
					t.Fatalf("Receive = %v, received %s", err, l.State.Received)
				}
				return
			}
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	t.Run("before opening", func(t *testing.T) {
		_, err := newLog(t).Do(receive("财社〔2025〕12号", "5"))
		wantRule(t, err, domain.ErrRejected, "fund-opened")
	})
}

func TestAllocateNeverExceedsUnallocated(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Allocate)
		target error
		rule   string
	}{
		{"exactly the unallocated", func(*Allocate) {}, nil, ""},
		{"one fen over", func(c *Allocate) { c.Amount = money.MustParse("1000.01") }, domain.ErrRejected, "fund-unallocated"},
		{"zero", func(c *Allocate) { c.Amount = money.Amount{} }, domain.ErrInvalid, "positive"},
		{"approver", func(c *Allocate) { c.Role = "approver" }, domain.ErrRejected, "role-administrator"},
		{"unknown programme", func(c *Allocate) { c.Programme = "pension" }, domain.ErrInvalid, "programme"},
		{"UI programme from subsidy fund", func(c *Allocate) { c.Programme = programme.Stabilization }, domain.ErrRejected, "programme-fund-kind"},
		{"expansion falls back to subsidy fund", func(c *Allocate) { c.Programme = programme.Expansion }, nil, ""},
		{"no allocation ID", func(c *Allocate) { c.AllocationID = "" }, domain.ErrInvalid, "required"},
		{"region outside Haixi", func(c *Allocate) { c.Region = "110105" }, domain.ErrInvalid, "haixi-region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := funded(t)
			c := allocate("a1", "1000.00")
			tt.change(&c)
			_, err := l.Do(c)
			if tt.target == nil {
				if err != nil || !l.State.Unallocated().IsZero() || !l.State.Lines[budget.LineID("f1", c.Programme, c.Region, 2025)].Equal(money.Yuan(1000)) {
					t.Fatalf("Allocate = %v, state %+v", err, l.State)
				}
				return
			}
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	t.Run("allocation ID once", func(t *testing.T) {
		l := funded(t)
		l.Must(allocate("a1", "1"))
		_, err := l.Do(allocate("a1", "1"))
		wantRule(t, err, domain.ErrRejected, "allocation-id-unique")
	})
	t.Run("county fund stays in its county", func(t *testing.T) {
		l := newLog(t)
		c := open()
		c.Level, c.Region = County, region.Delingha
		l.Must(c)
		l.Must(receive("财社〔2025〕12号", "10"))
		_, err := l.Do(allocate("a1", "1"))
		wantRule(t, err, domain.ErrRejected, "county-fund-region")
	})
}

func TestRecordRevocation(t *testing.T) {
	l := funded(t)
	l.Must(allocate("a1", "600"))
	_, err := l.Do(revoke("r1", "600.01"))
	wantRule(t, err, domain.ErrRejected, "revocation-within-allocation")
	l.Must(revoke("r1", "600.00"))
	if !l.State.Unallocated().Equal(money.Yuan(1000)) || !l.State.Lines[line].IsZero() {
		t.Fatalf("after revoking everything: unallocated %s, line %s", l.State.Unallocated(), l.State.Lines[line])
	}
	if events := l.Must(revoke("r1", "600.00")); len(events) != 0 {
		t.Fatalf("repeating revocation r1 decided %d events, want none", len(events))
	}
	_, err = l.Do(revoke("r1", "5"))
	wantRule(t, err, domain.ErrRejected, "revocation-id-unique")
	c := revoke("r2", "1")
	c.Reason = ""
	_, err = l.Do(c)
	wantRule(t, err, domain.ErrInvalid, "required")
}

func TestDecodeUnknownType(t *testing.T) {
	if _, err := Decode("ClaimSubmitted", []byte(`{}`)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Decode(ClaimSubmitted) error = %v, want ErrInvalid", err)
	}
	if _, err := Decode("FundTransferReceived", []byte(`{"amount": 12.5}`)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Decode of a float amount error = %v, want ErrInvalid", err)
	}
}

func TestFoldEqualsStepwiseEvolve(t *testing.T) {
	l := funded(t)
	l.Must(allocate("a1", "600"))
	l.Must(revoke("r1", "100"))
	want := aggregatetest.Canonical(t, l.State)
	if got := aggregatetest.Canonical(t, Fold(l.History)); string(got) != string(want) {
		t.Fatalf("Fold = %s\nstepwise %s", got, want)
	}
}
