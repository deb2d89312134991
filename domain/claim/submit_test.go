package claim

import (
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

func TestSubmit(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Submit)
		target error
		rule   string
	}{
		{"accepted", func(*Submit) {}, nil, ""},
		{"pilot credit code failing its check character", func(c *Submit) {
			c.Beneficiary = Beneficiary{Kind: Employer, Ref: "91350100M000100Y44"}
		}, nil, ""},
		{"no claim ID", func(c *Submit) { c.ClaimID = "" }, domain.ErrInvalid, "stream-id"},
		{"claim ID with a slash", func(c *Submit) { c.ClaimID = "c1/spend" }, domain.ErrInvalid, "stream-id"},
		{"no budget line", func(c *Submit) { c.BudgetLineID = "" }, domain.ErrInvalid, "required"},
		{"unknown programme", func(c *Submit) { c.Programme = "pension" }, domain.ErrInvalid, "programme"},
		{"region outside Haixi", func(c *Submit) { c.Region = "110105" }, domain.ErrInvalid, "haixi-region"},
		{"no effective date", func(c *Submit) { c.EffectiveDate = calendar.Date{} }, domain.ErrInvalid, "required"},
		{"unknown beneficiary kind", func(c *Submit) { c.Beneficiary.Kind = "bank" }, domain.ErrInvalid, "beneficiary-kind"},
		{"plaintext resident ID as person", func(c *Submit) { c.Beneficiary.Ref = "632801199903151230" }, domain.ErrInvalid, "person-ref"},
		{"malformed credit code", func(c *Submit) { c.Beneficiary = Beneficiary{Kind: Employer, Ref: "91350100"} }, domain.ErrInvalid, "credit-code-length"},
		{"key without value", func(c *Submit) { c.UniquenessKeys = []uniqueness.Key{{Rule: "r"}} }, domain.ErrInvalid, "required"},
		{"key twice", func(c *Submit) { c.UniquenessKeys = append(c.UniquenessKeys, c.UniquenessKeys[0]) }, domain.ErrInvalid, "distinct"},
		{"approver submits", func(c *Submit) { c.Role = role.Approver }, domain.ErrRejected, "role-clerk"},
		{"no actor", func(c *Submit) { c.Actor = "" }, domain.ErrInvalid, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			c := submit(programme.StartUp)
			tt.change(&c)
			_, err := l.Do(c)
			if tt.target == nil {
				if err != nil {
					t.Fatal(err)
				}
				wantStatus(t, l.State, StatusSubmitted)
				if l.State.SubmittedBy != "clerk1" || len(l.State.UniquenessKeys) != 1 {
					t.Fatalf("state %+v lost the submitter or the uniqueness keys", l.State)
				}
				return
			}
			wantRule(t, err, tt.target, tt.rule)
		})
	}
}

func TestSubmitOnceAndCanonicalCreditCode(t *testing.T) {
	l := newLog(t)
	c := submit(programme.Expansion)
	c.Beneficiary.Ref = strings.ToLower(employer)
	l.Must(c)
	if l.State.Beneficiary.Ref != employer {
		t.Fatalf("beneficiary = %s, want the upper-case code %s", l.State.Beneficiary.Ref, employer)
	}
	_, err := l.Do(c)
	wantRule(t, err, domain.ErrRejected, "claim-submitted-once")
}
