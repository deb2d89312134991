package fund

import (
	"regexp"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Open opens a fund for one fiscal year and fund kind at one level.
type Open struct {
	FundID     string
	Name       string
	FiscalYear programme.FiscalYear
	Kind       programme.FundKind
	Level      Level
	// Region is the area whose government holds the fund.
	Region region.Code
	Actor  string
	Role   string
	At     time.Time
}

func (Open) fundCommand() {}

// streamID keeps fund IDs safe inside stream names and budget line IDs.
var streamID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func decideOpen(s State, c Open) ([]domain.Event, error) {
	if !streamID.MatchString(c.FundID) {
		return nil, domain.Invalid("fundId", "stream-id", "fund ID %q must be 1–64 letters, digits, '.', '_' or '-'", c.FundID)
	}
	if strings.TrimSpace(c.Name) == "" {
		return nil, domain.Invalid("name", "required", "the fund's name is missing")
	}
	if !c.FiscalYear.Valid() {
		return nil, domain.Invalid("fiscalYear", "fiscal-year", "fiscal year %d is outside %d–%d", c.FiscalYear, programme.MinFiscalYear, programme.MaxFiscalYear)
	}
	if !c.Kind.Valid() {
		return nil, domain.Invalid("kind", "fund-kind", "%q is not a fund kind", c.Kind)
	}
	if !c.Level.valid() {
		return nil, domain.Invalid("level", "known-level", "level %q is not central, province, prefecture or county", c.Level)
	}
	if !c.Region.Valid() {
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
		return nil, err
	}
	if s.Opened {
		return nil, domain.Reject("fund-open-once", "fundId", "fund %s is already open", s.ID)
	}
	return []domain.Event{&Opened{
		FundID: c.FundID, Name: c.Name, FiscalYear: c.FiscalYear, Kind: c.Kind,
		Level: c.Level, Region: c.Region, Actor: c.Actor, Role: c.Role, At: c.At,
	}}, nil
}
