package paymentbatch

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var (
	at   = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	on   = calendar.MustParse("2025-04-03")
	line = "es-2025-expansion-632800-2025"
)

func newLog(t *testing.T) *aggregatetest.Log[State, Command] {
	return aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
}

func open() Open {
	return Open{BatchID: "pb-2025-04", Scope: Scope{Kind: ScopeBudgetLine, ID: line}, Actor: "tre1", Role: role.Treasurer, At: at}
}

func add(claimID, paymentID, amount string) AddItem {
	return AddItem{ClaimID: claimID, Instalment: 1, PaymentID: paymentID, Amount: money.MustParse(amount),
		BudgetLineID: line, BeneficiaryRef: "91632801MA0000001X", Actor: "tre1", Role: role.Treasurer, At: at}
}

func treasurer() (string, string, time.Time) { return "tre1", role.Treasurer, at }

func closeCmd() Close { a, r, t := treasurer(); return Close{Actor: a, Role: r, At: t} }
func sendCmd() Send   { a, r, t := treasurer(); return Send{Actor: a, Role: r, At: t} }

func releases(rs ...Release) RecordReleases {
	a, r, t := treasurer()
	return RecordReleases{Releases: rs, Actor: a, Role: r, At: t}
}

func results(rs ...Result) RecordResults {
	a, r, t := treasurer()
	return RecordResults{Results: rs, Actor: a, Role: r, At: t}
}

func paid(claimID, paymentID, ref string) Result {
	return Result{ClaimID: claimID, Instalment: 1, PaymentID: paymentID, Paid: true, BankRef: ref, On: on}
}

func failed(claimID, paymentID, reason string) Result {
	return Result{ClaimID: claimID, Instalment: 1, PaymentID: paymentID, Reason: reason, On: on}
}

// twoItems is an open batch with claims c1 (1,500.00) and c2 (900.50).
func twoItems(t *testing.T) *aggregatetest.Log[State, Command] {
	l := newLog(t)
	l.Must(open())
	l.Must(add("c1", "p1", "1500.00"))
	l.Must(add("c2", "p2", "900.50"))
	return l
}

// sent is twoItems closed and sent.
func sent(t *testing.T) *aggregatetest.Log[State, Command] {
	l := twoItems(t)
	l.Must(closeCmd())
	l.Must(sendCmd())
	return l
}

func wantRule(t *testing.T, err error, target error, rule string) {
	t.Helper()
	var fe *domain.FieldError
	var re *domain.RuleError
	switch {
	case target == nil && err != nil:
		t.Fatalf("error = %v, want accepted", err)
	case target == nil:
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
		{"fund scope", func(c *Open) { c.Scope = Scope{Kind: ScopeFund, ID: "es-2025"} }, nil, ""},
		{"no id", func(c *Open) { c.BatchID = "" }, domain.ErrInvalid, "stream-id"},
		{"id with a slash", func(c *Open) { c.BatchID = "a/b" }, domain.ErrInvalid, "stream-id"},
		{"unknown scope", func(c *Open) { c.Scope.Kind = "county" }, domain.ErrInvalid, "batch-scope"},
		{"no scope id", func(c *Open) { c.Scope.ID = " " }, domain.ErrInvalid, "required"},
		{"no actor", func(c *Open) { c.Actor = "" }, domain.ErrInvalid, "required"},
		{"clerk", func(c *Open) { c.Role = role.Clerk }, domain.ErrRejected, "role-treasurer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := open()
			tt.change(&c)
			_, err := newLog(t).Do(c)
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	l := newLog(t)
	l.Must(open())
	_, err := l.Do(open())
	wantRule(t, err, domain.ErrRejected, "batch-open-once")
	if l.State.Status != StatusOpen || l.State.OpenedBy != "tre1" || l.State.Scope.ID != line {
		t.Errorf("state %+v", l.State)
	}
}

func TestAddItem(t *testing.T) {
	tests := []struct {
		name   string
		change func(*AddItem)
		target error
		rule   string
	}{
		{"accepted", func(*AddItem) {}, nil, ""},
		{"bad claim id", func(c *AddItem) { c.ClaimID = "c 3" }, domain.ErrInvalid, "stream-id"},
		{"instalment 0", func(c *AddItem) { c.Instalment = 0 }, domain.ErrInvalid, "instalment-number"},
		{"zero amount", func(c *AddItem) { c.Amount = money.Amount{} }, domain.ErrInvalid, "positive"},
		{"negative amount", func(c *AddItem) { c.Amount = money.MustParse("-1.00") }, domain.ErrInvalid, "positive"},
		{"no payment id", func(c *AddItem) { c.PaymentID = "" }, domain.ErrInvalid, "required"},
		{"no line", func(c *AddItem) { c.BudgetLineID = "" }, domain.ErrInvalid, "required"},
		{"no payee", func(c *AddItem) { c.BeneficiaryRef = "" }, domain.ErrInvalid, "required"},
		{"approver", func(c *AddItem) { c.Role = role.Approver }, domain.ErrRejected, "role-treasurer"},
		{"other line", func(c *AddItem) { c.BudgetLineID = "other" }, domain.ErrRejected, "item-in-scope"},
		{"same instalment again", func(c *AddItem) { c.ClaimID, c.PaymentID = "c1", "p9" }, domain.ErrRejected, "item-once-per-batch"},
		{"second instalment of c1", func(c *AddItem) { c.ClaimID, c.Instalment, c.PaymentID = "c1", 2, "p9" }, nil, ""},
		{"payment id reused", func(c *AddItem) { c.PaymentID = "p2" }, domain.ErrRejected, "payment-id-unique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := twoItems(t)
			c := add("c3", "p3", "10.00")
			tt.change(&c)
			_, err := l.Do(c)
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	l := twoItems(t)
	if !l.State.Total.Equal(money.MustParse("2400.50")) || len(l.State.Items) != 2 || l.State.Items[1].Status != Pending {
		t.Errorf("total %s, items %+v", l.State.Total, l.State.Items)
	}
	l.Must(closeCmd())
	_, err := l.Do(add("c3", "p3", "10.00"))
	wantRule(t, err, domain.ErrRejected, "batch-open")

	// A fund-scoped batch takes items from any line.
	f := newLog(t)
	o := open()
	o.Scope = Scope{Kind: ScopeFund, ID: "es-2025"}
	f.Must(o)
	c := add("c1", "p1", "1.00")
	c.BudgetLineID = "any-line"
	f.Must(c)
}

func TestCloseAndSend(t *testing.T) {
	empty := newLog(t)
	empty.Must(open())
	_, err := empty.Do(closeCmd())
	wantRule(t, err, domain.ErrRejected, "batch-not-empty")

	l := twoItems(t)
	_, err = l.Do(sendCmd())
	wantRule(t, err, domain.ErrRejected, "batch-closed")
	bad := closeCmd()
	bad.Role = role.Clerk
	_, err = l.Do(bad)
	wantRule(t, err, domain.ErrRejected, "role-treasurer")
	evs := l.Must(closeCmd())
	if c := evs[0].(*Closed); c.Items != 2 || !c.Total.Equal(money.MustParse("2400.50")) {
		t.Errorf("closed %+v", c)
	}
	_, err = l.Do(closeCmd())
	wantRule(t, err, domain.ErrRejected, "batch-open")
	l.Must(sendCmd())
	_, err = l.Do(sendCmd())
	wantRule(t, err, domain.ErrRejected, "batch-closed")
	if l.State.Status != StatusSent {
		t.Errorf("status %s", l.State.Status)
	}
}

func TestRecordReleases(t *testing.T) {
	released := Release{ClaimID: "c1", Instalment: 1}
	withdrawn := Release{ClaimID: "c2", Instalment: 1, Withdrawn: true, Rule: "claim-disclosed", Detail: "the claim is cancelled"}
	tests := []struct {
		name   string
		setup  func(*aggregatetest.Log[State, Command])
		cmd    RecordReleases
		events []string
		target error
		rule   string
	}{
		{"one released", nil, releases(released), []string{"PaymentBatchItemReleased"}, nil, ""},
		{"one withdrawn", nil, releases(withdrawn), []string{"PaymentBatchItemWithdrawn"}, nil, ""},
		{"both: c2's withdrawal does not settle while c1 awaits the bank", nil, releases(released, withdrawn),
			[]string{"PaymentBatchItemReleased", "PaymentBatchItemWithdrawn"}, nil, ""},
		{"the same item twice is one event", nil, releases(released, released), []string{"PaymentBatchItemReleased"}, nil, ""},
		{"a repeat decides nothing", func(l *aggregatetest.Log[State, Command]) { l.Must(releases(released)) }, releases(released), nil, nil, ""},
		{"withdrawing a released item", func(l *aggregatetest.Log[State, Command]) { l.Must(releases(released)) },
			releases(Release{ClaimID: "c1", Instalment: 1, Withdrawn: true, Rule: "x"}), nil, domain.ErrRejected, "release-recorded"},
		{"releasing a withdrawn item", func(l *aggregatetest.Log[State, Command]) { l.Must(releases(withdrawn)) },
			releases(Release{ClaimID: "c2", Instalment: 1}), nil, domain.ErrRejected, "release-recorded"},
		{"withdrawn without a rule", nil, releases(Release{ClaimID: "c2", Instalment: 1, Withdrawn: true}), nil, domain.ErrInvalid, "required"},
		{"unknown item", nil, releases(Release{ClaimID: "c9", Instalment: 1}), nil, domain.ErrRejected, "item-in-batch"},
		{"clerk", nil, RecordReleases{Releases: []Release{released}, Actor: "k", Role: role.Clerk, At: at}, nil, domain.ErrRejected, "role-treasurer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := sent(t)
			if tt.setup != nil {
				tt.setup(l)
			}
			evs, err := l.Do(tt.cmd)
			wantRule(t, err, tt.target, tt.rule)
			if got := types(evs); !slices.Equal(got, tt.events) {
				t.Errorf("events %v, want %v", got, tt.events)
			}
		})
	}
	// Before Send nothing is released.
	_, err := twoItems(t).Do(releases(released))
	wantRule(t, err, domain.ErrRejected, "batch-sent")
}

func TestRecordResults(t *testing.T) {
	both := func(l *aggregatetest.Log[State, Command]) {
		l.Must(releases(Release{ClaimID: "c1", Instalment: 1}, Release{ClaimID: "c2", Instalment: 1}))
	}
	tests := []struct {
		name   string
		setup  func(*aggregatetest.Log[State, Command])
		cmd    RecordResults
		events []string
		target error
		rule   string
	}{
		{"one paid", both, results(paid("c1", "p1", "B1")), []string{"PaymentBatchItemPaid"}, nil, ""},
		{"the last answer settles", both, results(paid("c1", "p1", "B1"), failed("c2", "p2", "account closed")),
			[]string{"PaymentBatchItemPaid", "PaymentBatchItemFailed", "PaymentBatchSettled"}, nil, ""},
		{"a repeat decides nothing", func(l *aggregatetest.Log[State, Command]) { both(l); l.Must(results(paid("c1", "p1", "B1"))) },
			results(paid("c1", "p1", "B1")), nil, nil, ""},
		{"a different answer is refused", func(l *aggregatetest.Log[State, Command]) { both(l); l.Must(results(paid("c1", "p1", "B1"))) },
			results(failed("c1", "p1", "bounced")), nil, domain.ErrRejected, "result-recorded"},
		{"another bank reference is refused", func(l *aggregatetest.Log[State, Command]) { both(l); l.Must(results(paid("c1", "p1", "B1"))) },
			results(paid("c1", "p1", "B2")), nil, domain.ErrRejected, "result-recorded"},
		{"not released", nil, results(paid("c1", "p1", "B1")), nil, domain.ErrRejected, "item-released"},
		{"withdrawn", func(l *aggregatetest.Log[State, Command]) {
			l.Must(releases(Release{ClaimID: "c1", Instalment: 1, Withdrawn: true, Rule: "claim-disclosed"}))
		}, results(paid("c1", "p1", "B1")), nil, domain.ErrRejected, "item-released"},
		{"wrong payment id", both, results(paid("c1", "p2", "B1")), nil, domain.ErrRejected, "payment-id-matches"},
		{"unknown item", both, results(paid("c7", "p1", "B1")), nil, domain.ErrRejected, "item-in-batch"},
		{"paid without reference", both, results(paid("c1", "p1", "")), nil, domain.ErrInvalid, "required"},
		{"failed without reason", both, results(failed("c1", "p1", "")), nil, domain.ErrInvalid, "required"},
		{"no date", both, results(Result{ClaimID: "c1", Instalment: 1, PaymentID: "p1", Paid: true, BankRef: "B"}), nil, domain.ErrInvalid, "required"},
		{"one bad answer refuses the whole file", both, results(paid("c1", "p1", "B1"), paid("c2", "p1", "B2")), nil, domain.ErrRejected, "payment-id-matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := sent(t)
			if tt.setup != nil {
				tt.setup(l)
			}
			evs, err := l.Do(tt.cmd)
			wantRule(t, err, tt.target, tt.rule)
			if got := types(evs); !slices.Equal(got, tt.events) {
				t.Errorf("events %v, want %v", got, tt.events)
			}
		})
	}
}

// TestSettledFigures follows a batch to the end: one item paid, one failed,
// one withdrawn, and checks the figures the settlement records.
func TestSettledFigures(t *testing.T) {
	l := twoItems(t)
	l.Must(add("c3", "p3", "100.25"))
	l.Must(closeCmd())
	l.Must(sendCmd())
	l.Must(releases(Release{ClaimID: "c1", Instalment: 1}, Release{ClaimID: "c2", Instalment: 1},
		Release{ClaimID: "c3", Instalment: 1, Withdrawn: true, Rule: "claim-disclosed", Detail: "cancelled"}))
	l.Must(results(failed("c2", "p2", "account closed")))
	if l.State.Status != StatusSent {
		t.Fatalf("settled with c1 still at the bank")
	}
	evs := l.Must(results(paid("c1", "p1", "B1")))
	s, ok := evs[len(evs)-1].(*Settled)
	if !ok {
		t.Fatalf("events %v, want a settlement last", types(evs))
	}
	if s.Paid.String() != "1500.00" || s.Failed.String() != "900.50" || s.Withdrawn.String() != "100.25" {
		t.Errorf("settled paid %s failed %s withdrawn %s", s.Paid, s.Failed, s.Withdrawn)
	}
	st := l.State
	if st.Status != StatusSettled || st.Count(Paid) != 1 || st.Count(Failed) != 1 || st.Count(Withdrawn) != 1 {
		t.Errorf("state %+v", st)
	}
	if it := st.Items[2]; it.Rule != "claim-disclosed" || it.Reason != "cancelled" {
		t.Errorf("withdrawn item %+v", it)
	}
	if it := st.Items[0]; it.BankRef != "B1" || it.On != on {
		t.Errorf("paid item %+v", it)
	}
	// Repeats after settlement still decide nothing.
	if evs := l.Must(results(paid("c1", "p1", "B1"))); len(evs) != 0 {
		t.Errorf("repeat after settlement decided %v", types(evs))
	}
}

func TestDecodeUnknownType(t *testing.T) {
	_, err := Decode("ClaimSubmitted", []byte(`{}`))
	wantRule(t, err, domain.ErrInvalid, "known-event-type")
	for name, mk := range EventTypes() {
		if got := mk().EventType(); got != name {
			t.Errorf("registry %s builds %s", name, got)
		}
	}
}

func types(evs []domain.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventType())
	}
	return out
}
