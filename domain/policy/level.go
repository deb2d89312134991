package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/shopspring/decimal"
)

// Level is a national vocational skill level (职业技能等级).
type Level string

// The five levels, lowest first.
const (
	Initial          Level = "initial"           // 五级/初级工
	Intermediate     Level = "intermediate"      // 四级/中级工
	Advanced         Level = "advanced"          // 三级/高级工
	Technician       Level = "technician"        // 二级/技师
	SeniorTechnician Level = "senior-technician" // 一级/高级技师
)

// Rank orders the levels from 1 (initial) to 5 (senior technician); 0 for
// an unknown level.
func (l Level) Rank() int {
	switch l {
	case Initial:
		return 1
	case Intermediate:
		return 2
	case Advanced:
		return 3
	case Technician:
		return 4
	case SeniorTechnician:
		return 5
	}
	return 0
}

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l.Rank() > 0 }

// ParseLevel returns the level named s; the error names field.
func ParseLevel(field, s string) (Level, error) {
	if l := Level(s); l.Valid() {
		return l, nil
	}
	return "", domain.Invalid(field, "certificate-level", "%q is not a certificate level (initial, intermediate, advanced, technician, senior-technician)", s)
}

// Ratio is an exact fraction such as 2/3, for shares that no finite
// decimal holds. Its JSON form is "num/den".
type Ratio struct {
	Num int64
	Den int64
}

// Apply returns a × Num/Den rounded half-up to the fen, exactly once.
func (r Ratio) Apply(a money.Amount) money.Amount {
	return money.FromDecimal(a.Decimal().Mul(decimal.NewFromInt(r.Num)).DivRound(decimal.NewFromInt(r.Den), 2))
}

// String returns "num/den".
func (r Ratio) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// MarshalText writes "num/den".
func (r Ratio) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "num/den".
func (r *Ratio) UnmarshalText(b []byte) error {
	num, den, ok := strings.Cut(string(b), "/")
	n, err1 := strconv.ParseInt(num, 10, 64)
	d, err2 := strconv.ParseInt(den, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return domain.Invalid("ratio", "ratio", "%q is not a fraction such as \"2/3\"", b)
	}
	*r = Ratio{n, d}
	return nil
}

func (r Ratio) validate(field string) error {
	if r.Num <= 0 || r.Den <= 0 || r.Num > r.Den {
		return domain.Invalid(field, "ratio-range", "share %s must be within (0, 1]", r)
	}
	return nil
}
