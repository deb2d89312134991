package haixi

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
)

// person is someone the scenario pays or counts: a resident ID built from
// the county, birth date and sequence (with a valid GB 11643 check
// character), the keyed reference events carry instead of it, and an
// invented name. The claims about the person register the ID and the
// name in the ledger's person register, outside the log.
type person struct {
	id   identity.ResidentID
	ref  identity.PersonRef
	name string
}

// people derives persons' references from the ledger's person register,
// so they are the references the register files their identities under.
type people struct{ register *ledger.People }

func newPeople(register *ledger.People) (people, error) {
	if register == nil {
		return people{}, errors.New("haixi: no person register to name people with")
	}
	return people{register: register}, nil
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
	return person{id: id, ref: p.register.Ref(id), name: nameOf(id)}, nil
}

// Invented names in the prefecture's mix: Han and Hui surnames with given
// names, and Tibetan and Mongolian names, which have no surname.
var (
	surnames   = []string{"马", "王", "李", "张", "韩", "刘", "赵", "陈", "杨", "祁", "冶", "朱", "孙", "何", "鲁", "苏"}
	givenMen   = []string{"建国", "海龙", "志强", "文军", "永福", "成林", "海军", "国栋", "振华", "德明", "晓东", "学军"}
	givenWomen = []string{"海燕", "丽", "秀英", "玉兰", "晓梅", "春花", "桂芳", "雪莲", "文静", "金花", "红霞", "小燕"}
	wholeMen   = []string{"才让多杰", "更登加措", "巴特尔", "那木吉拉", "索南扎西", "宝音"}
	wholeWomen = []string{"卓玛", "拉毛措", "其其格", "才让卓玛", "娜仁花", "央金"}
)

// nameOf invents a name for id that fits its sex, the same on every run.
func nameOf(id identity.ResidentID) string {
	h := fnv.New32a()
	h.Write([]byte(id.Plain()))
	n := int(h.Sum32())
	given, whole := givenWomen, wholeWomen
	if id.Sex() == identity.Male {
		given, whole = givenMen, wholeMen
	}
	if n%4 == 0 {
		return whole[n/4%len(whole)]
	}
	return surnames[n/4%len(surnames)] + given[n/64%len(given)]
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
