package projections

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// Where an indicator row's value or target comes from.
const (
	// SourceRecorded: recorded for the region itself.
	SourceRecorded = "recorded"
	// SourceCounties: the prefecture's figure is the sum of its seven
	// counties', because none was recorded for the prefecture itself.
	SourceCounties = "sum-of-counties"
)

// IndicatorRow is one indicator of a county or the prefecture to the end
// of a period, against its yearly target.
type IndicatorRow struct {
	Region    region.Code       `json:"region"`
	Period    string            `json:"period"`
	Indicator outcome.Indicator `json:"indicator"`
	// InPeriod is the sum of the months of the period; Actual runs from
	// January to the period's end (year to date).
	InPeriod int64 `json:"inPeriod"`
	Actual   int64 `json:"actual"`
	// Target is the year's target, 0 when none is recorded; Completion
	// is Actual ÷ Target as a percentage, two decimals, half-up.
	Target       int64  `json:"target"`
	Completion   string `json:"completion,omitempty"`
	ValueSource  string `json:"valueSource"`
	TargetSource string `json:"targetSource"`
	// Line is the row as a report prints it (IndicatorLine).
	Line string `json:"line"`
}

// indicatorNames are the indicators as reports name them, with the unit
// printed after the value where it is not a head count.
var indicatorNames = map[outcome.Indicator][2]string{
	outcome.NewUrbanJobs:          {"new urban jobs", ""},
	outcome.LabourTransfer:        {"labour transfer", " person-times"},
	outcome.Reemployment:          {"re-employment of the unemployed", ""},
	outcome.DifficultyPlaced:      {"people with employment difficulty placed", ""},
	outcome.ZeroEmploymentCleared: {"zero-employment families cleared", " families"},
}

var indicatorOrder = []outcome.Indicator{outcome.NewUrbanJobs, outcome.LabourTransfer, outcome.Reemployment,
	outcome.DifficultyPlaced, outcome.ZeroEmploymentCleared}

// IndicatorLine prints an indicator against its target as the reports do:
// "new urban jobs 3,189 — 28.22% of the target of 11,300", "labour
// transfer 31,091 person-times — 38.86% of the target of 80,000"; with no
// target (target ≤ 0), "… — no target recorded". Completion is
// outcome.Completion: two decimals, half-up.
func IndicatorLine(ind outcome.Indicator, actual, target int64) string {
	name, ok := indicatorNames[ind]
	if !ok {
		name = [2]string{strings.ReplaceAll(string(ind), "-", " "), ""}
	}
	head := fmt.Sprintf("%s %s%s", name[0], perfThousands(actual), name[1])
	pct, err := outcome.Completion(actual, target)
	if err != nil {
		return head + " — no target recorded"
	}
	return fmt.Sprintf("%s — %s%% of the target of %s", head, pct.StringFixed(2), perfThousands(target))
}

// perfThousands prints n with thousands separators: 31,091.
func perfThousands(n int64) string {
	if n < 0 {
		return "-" + perfThousands(-n)
	}
	digits := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Indicators returns r's indicators to the end of the period (a month,
// quarter or year), one row per indicator with a value or a target, in a
// fixed order. For the prefecture (632800), a value recorded for the
// prefecture itself is its figure; otherwise its figure is the sum of the
// seven counties'. Values and targets are decided apart, so a prefecture
// target set by the province can measure the counties' summed values.
// A malformed region or period is a *domain.FieldError.
func (p *Performance) Indicators(r region.Code, periodName string) ([]IndicatorRow, error) {
	if _, err := region.Parse("region", string(r)); err != nil {
		return nil, err
	}
	per, err := parsePerfPeriod("period", periodName)
	if err != nil {
		return nil, err
	}
	rows := []IndicatorRow{}
	for _, ind := range indicatorOrder {
		row, ok := p.indicator(r, ind, per)
		if ok {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func (p *Performance) indicator(r region.Code, ind outcome.Indicator, per perfPeriod) (IndicatorRow, bool) {
	row := IndicatorRow{Region: r, Period: per.name, Indicator: ind, ValueSource: SourceRecorded, TargetSource: SourceRecorded}
	regions := []region.Code{r}
	key := indicatorKey(r, per.year, string(ind))
	if r.IsPrefecture() && len(p.s.Values[key]) == 0 {
		regions, row.ValueSource = region.Counties(), SourceCounties
	}
	found := false
	for _, c := range regions {
		months, ok := p.s.Values[indicatorKey(c, per.year, string(ind))]
		found = found || ok
		for mo := 1; mo <= per.to; mo++ {
			v := int64(months[per.month(mo)])
			row.Actual += v
			if mo >= per.from {
				row.InPeriod += v
			}
		}
	}
	target, ok := p.s.Targets[key]
	if !ok && r.IsPrefecture() {
		row.TargetSource = SourceCounties
		for _, c := range region.Counties() {
			t, has := p.s.Targets[indicatorKey(c, per.year, string(ind))]
			target, ok = target+t, ok || has
		}
	}
	if !found && !ok {
		return IndicatorRow{}, false
	}
	row.Target = int64(target)
	row.Completion = perfPercent(decimal.NewFromInt(row.Actual), decimal.NewFromInt(row.Target))
	row.Line = IndicatorLine(ind, row.Actual, row.Target)
	return row, true
}
