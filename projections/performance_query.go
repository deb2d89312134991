package projections

import (
	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// PerformanceFilter selects performance rows. Period is required: a month
// ("2025-03"), a quarter ("2025-Q1") or a year ("2025"). A zero Programme
// or County selects every one.
type PerformanceFilter struct {
	Period    string         `json:"period"`
	Programme programme.Code `json:"programme,omitempty"`
	County    region.Code    `json:"county,omitempty"`
}

// Checkpoint counts the findings at one checkpoint after a hire that were
// made in the period.
type Checkpoint struct {
	Months       int `json:"months"`
	Checked      int `json:"checked"`
	StillInsured int `json:"stillInsured"`
}

// PerformanceRow is one programme × county × period of the evaluators'
// model. It holds counts and money only, never an identifier.
type PerformanceRow struct {
	Period string `json:"period"`
	// Programme is a programme code, or "all" in a total over every
	// programme; County a region code, or "all".
	Programme string `json:"programme"`
	County    string `json:"county"`
	// Money moved within the period. Allocated is net of money given
	// back; NetSpent is Spent − Recovered.
	Allocated money.Amount `json:"allocated"`
	Reserved  money.Amount `json:"reserved"`
	Released  money.Amount `json:"released"`
	Spent     money.Amount `json:"spent"`
	Recovered money.Amount `json:"recovered"`
	NetSpent  money.Amount `json:"netSpent"`
	// AllocatedToDate and NetSpentToDate run from 1 January of the
	// period's year to its end; ExecutionRate is NetSpentToDate ÷
	// AllocatedToDate as a percentage, two decimals, half-up, omitted when
	// nothing was allocated.
	AllocatedToDate money.Amount `json:"allocatedToDate"`
	NetSpentToDate  money.Amount `json:"netSpentToDate"`
	ExecutionRate   string       `json:"executionRate,omitempty"`
	// PeoplePaid and EmployersPaid count distinct beneficiaries paid in
	// the period (providers are neither).
	PeoplePaid    int `json:"peoplePaid"`
	EmployersPaid int `json:"employersPaid"`
	// RefundRecipients are employers paid a stabilization refund in the
	// period. JobsRetained sums, over those with a headcount reported at
	// or before the period's end and another twelve months before that
	// report, the smaller of the two headcounts; the others are counted in
	// RetentionUnmeasured.
	RefundRecipients    int `json:"refundRecipients"`
	JobsRetained        int `json:"jobsRetained"`
	RetentionUnmeasured int `json:"retentionUnmeasured"`
	// Hires hired in the period, and the +3, +6 and +12-month findings
	// made in it.
	Hires       int          `json:"hires"`
	Checkpoints []Checkpoint `json:"checkpoints"`
	// Trainees certified in the period, and of those, the ones placed
	// within the policy's window (often 6 months) and later;
	// PlacementRate is within ÷ certified as a percentage, two decimals,
	// half-up.
	TraineesCertified    int    `json:"traineesCertified"`
	TraineesPlacedWithin int    `json:"traineesPlacedWithin"`
	TraineesPlacedLate   int    `json:"traineesPlacedLate"`
	PlacementRate        string `json:"placementRate,omitempty"`
	// Costs per outcome are NetSpent ÷ the outcome count, half-up to the
	// fen, in rows of one programme where the count is not zero: per job
	// retained, per hire found still insured at +3 months, per trainee
	// placed within the window.
	CostPerRetainedJob    *money.Amount `json:"costPerRetainedJob,omitempty"`
	CostPerAbsorbedPerson *money.Amount `json:"costPerAbsorbedPerson,omitempty"`
	CostPerPlacedTrainee  *money.Amount `json:"costPerPlacedTrainee,omitempty"`
}

func (f PerformanceFilter) parse() (perfPeriod, error) {
	per, err := parsePerfPeriod("period", f.Period)
	if err != nil {
		return per, err
	}
	if f.Programme != "" {
		if _, err := programme.Parse("programme", string(f.Programme)); err != nil {
			return per, err
		}
	}
	if f.County != "" {
		if _, err := region.Parse("county", string(f.County)); err != nil {
			return per, err
		}
	}
	return per, nil
}

// Rows returns a row per programme and county with figures in the
// period or earlier in its year, in programme order (programme.All) and
// county code order. A malformed filter is a *domain.FieldError.
func (p *Performance) Rows(f PerformanceFilter) ([]PerformanceRow, error) {
	per, err := f.parse()
	if err != nil {
		return nil, err
	}
	if err := p.countedRetention(); err != nil {
		return nil, err
	}
	progs, counties := programme.All(), region.All()
	if f.Programme != "" {
		progs = []programme.Code{f.Programme}
	}
	if f.County != "" {
		counties = []region.Code{f.County}
	}
	rows := []PerformanceRow{}
	for _, pr := range progs {
		for _, c := range counties {
			if p.hasFigures(string(pr), string(c), per) {
				rows = append(rows, p.row(string(pr), string(c), per))
			}
		}
	}
	return rows, nil
}

// Total returns the row that totals f's selection: over every programme
// unless f names one, over every county unless f names one. Distinct
// counts are distinct over the whole selection.
func (p *Performance) Total(f PerformanceFilter) (PerformanceRow, error) {
	per, err := f.parse()
	if err != nil {
		return PerformanceRow{}, err
	}
	if err := p.countedRetention(); err != nil {
		return PerformanceRow{}, err
	}
	pr, c := string(f.Programme), string(f.County)
	if pr == "" {
		pr = allKey
	}
	if c == "" {
		c = allKey
	}
	return p.row(pr, c, per), nil
}

func (p *Performance) hasFigures(prog, county string, per perfPeriod) bool {
	if _, ok := p.s.Cells.get(cellKey(prog, county, per.name)); ok {
		return true
	}
	for mo := 1; mo <= per.to; mo++ {
		if _, ok := p.s.Cells.get(cellKey(prog, county, per.month(mo))); ok {
			return true
		}
	}
	return false
}

var perfHundred = decimal.NewFromInt(100)

// perfPercent is part ÷ whole as a percentage, two decimals, half-up, or ""
// when whole is zero.
func perfPercent(part, whole decimal.Decimal) string {
	if whole.IsZero() {
		return ""
	}
	return part.Mul(perfHundred).DivRound(whole, 2).StringFixed(2)
}

// perfCostPer is amount ÷ n, half-up to the fen, or nil when n is zero.
func perfCostPer(amount money.Amount, n int) *money.Amount {
	if n == 0 {
		return nil
	}
	c := money.FromDecimal(amount.Decimal().DivRound(decimal.NewFromInt(int64(n)), 2))
	return &c
}

// cell returns a cell's figures, zero where nothing was recorded. The
// copy shares the cell's sets, which callers only read.
func (p *Performance) cell(prog, county, per string) perfCell {
	if c, ok := p.s.Cells.get(cellKey(prog, county, per)); ok {
		return *c
	}
	return perfCell{}
}

// toDate returns the money allocated and spent net from January to the
// period's end.
func (p *Performance) toDate(prog, county string, per perfPeriod) (allocated, netSpent money.Amount) {
	for mo := 1; mo <= per.to; mo++ {
		c := p.cell(prog, county, per.month(mo))
		allocated = allocated.Add(c.Allocated)
		netSpent = netSpent.Add(c.Spent.Sub(c.Recovered))
	}
	return allocated, netSpent
}

func (p *Performance) row(prog, county string, per perfPeriod) PerformanceRow {
	c := p.cell(prog, county, per.name)
	r := PerformanceRow{Period: per.name, Programme: prog, County: county,
		Allocated: c.Allocated, Reserved: c.Reserved, Released: c.Released, Spent: c.Spent, Recovered: c.Recovered,
		NetSpent: c.Spent.Sub(c.Recovered), PeoplePaid: c.People.len(), EmployersPaid: c.Employers.len(),
		RefundRecipients: c.Recipients.len(), Hires: c.Hires, TraineesCertified: c.Certified,
		TraineesPlacedWithin: c.Within, TraineesPlacedLate: c.Late}
	r.AllocatedToDate, r.NetSpentToDate = p.toDate(prog, county, per)
	r.ExecutionRate = perfPercent(r.NetSpentToDate.Decimal(), r.AllocatedToDate.Decimal())
	r.PlacementRate = perfPercent(decimal.NewFromInt(int64(c.Within)), decimal.NewFromInt(int64(c.Certified)))
	for i, months := range []int{3, 6, 12} {
		r.Checkpoints = append(r.Checkpoints, Checkpoint{Months: months, Checked: c.Checked[i], StillInsured: c.Insured[i]})
	}
	if t, ok := p.retention[cellKey(prog, county, per.name)]; ok {
		r.JobsRetained, r.RetentionUnmeasured = t.jobs, t.unmeasured
	}
	if prog != allKey {
		r.CostPerRetainedJob = perfCostPer(r.NetSpent, r.JobsRetained)
		r.CostPerAbsorbedPerson = perfCostPer(r.NetSpent, c.Insured[0])
		r.CostPerPlacedTrainee = perfCostPer(r.NetSpent, c.Within)
	}
	return r
}

// retained is the jobs employer d kept: the smaller of its latest
// headcount reported for a month at or before end (a perfMonthKey) and
// the latest reported for a month at least twelve months before that one.
func (p *Performance) retained(d string, end int) (int, bool) {
	emp, ok := p.s.Employers.get(d)
	if !ok {
		return 0, false
	}
	now, ok := emp.latest(end)
	if !ok {
		return 0, false
	}
	before, ok := emp.latest(perfMonthKey(now.Month) - 12)
	if !ok {
		return 0, false
	}
	return min(now.Insured, before.Insured), true
}
