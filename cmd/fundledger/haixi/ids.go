package haixi

import (
	"fmt"
	"strings"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// person is someone the scenario pays or counts: a resident ID built from
// the county, birth date and sequence (with a valid GB 11643 check
// character), and the keyed reference events carry instead of it.
type person struct {
	id  identity.ResidentID
	ref identity.PersonRef
}

// people derives persons' references under the ledger's secret.
type people struct{ hasher identity.Hasher }

func newPeople(secret []byte) (people, error) {
	h, err := identity.NewHasher(secret)
	if err != nil {
		return people{}, fmt.Errorf("haixi: %w", err)
	}
	return people{hasher: h}, nil
}

// person returns the person registered in county, born on born, with
// sequence number seq (odd for a man, even for a woman).
func (p people) person(county region.Code, born calendar.Date, seq int) (person, error) {
	first17 := fmt.Sprintf("%s%s%03d", county, strings.ReplaceAll(born.String(), "-", ""), seq)
	c, ok := identity.ResidentCheckChar(first17)
	if !ok {
		return person{}, fmt.Errorf("haixi: no resident ID from %q", first17)
	}
	id, err := identity.ParseResidentID("residentId", first17+string(c))
	if err != nil {
		return person{}, fmt.Errorf("haixi: %w", err)
	}
	return person{id: id, ref: p.hasher.Ref(id)}, nil
}

// creditCode returns a valid unified social credit code: registration
// kind (91 enterprise, 52 private non-enterprise unit), the county's area
// code, a nine-character organisation code and the GB 32100 check
// character.
func creditCode(kind string, county region.Code, n int) (identity.CreditCode, error) {
	first17 := fmt.Sprintf("%s%sMA%07d", kind, county, n)
	c, ok := identity.CreditCheckChar(first17)
	if !ok {
		return "", fmt.Errorf("haixi: no credit code from %q", first17)
	}
	return identity.ParseCreditCode("creditCode", first17+string(c))
}

// maskCode hides the organisation code of a unit's credit code for public
// disclosure, as a person's ID is masked.
func maskCode(c identity.CreditCode) string {
	s := c.String()
	return s[:4] + strings.Repeat("*", 10) + s[14:]
}
