package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// publishPolicy publishes a policy version (the body is the version
// itself), or with supersedes set an amendment of a published one.
// Publishing the same version again changes nothing and answers 200 with
// the event that published it; other content under a published ID is
// refused, naming the differing fields.
func (s *server) publishPolicy(c echo.Context) error {
	return runOne(s, c, oneCommand[policy.Version, policy.State, policy.Command]{
		name: "PublishPolicyVersion", step: "publish",
		created: func(v policy.Version) (ledger.Aggregate[policy.State], string, error) {
			return schema.Policy(v.Programme), "", nil
		},
		effective: func(v policy.Version) calendar.Date { return v.EffectiveFrom },
		command: func(r *request, v policy.Version) policy.Command {
			return policy.PublishVersion{Version: v, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide:   policy.Decide,
		original: s.publication,
	})
}

// publication returns the event that published version v's ID, as the
// result of the command that appended it.
func (s *server) publication(ctx context.Context, v policy.Version) (ledger.Result, error) {
	stream := schema.Policy(v.Programme).Stream
	evs, err := s.l.Store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return ledger.Result{}, fmt.Errorf("api: read %s: %w", stream, err)
	}
	for i := range evs {
		ev, err := s.l.Codec.Decode(&evs[i])
		if err != nil {
			return ledger.Result{}, fmt.Errorf("api: %s version %d: %w", stream, evs[i].Version, err)
		}
		if p, ok := ev.(policy.PolicyVersionPublished); ok && p.Version.ID == v.ID {
			return ledger.Result{Stream: stream, FirstVersion: evs[i].Version, LastVersion: evs[i].Version, Position: evs[i].Position,
				Events: []domain.Event{ev}, EventIDs: []uuid.UUID{evs[i].ID}}, nil
		}
	}
	return ledger.Result{}, fmt.Errorf("api: %s holds no publication of %s", stream, v.ID)
}

// listPolicies lists the published versions of every programme, or of
// ?programme=, by programme and effective date.
func (s *server) listPolicies(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	progs := programme.All()
	if p := c.QueryParam("programme"); p != "" {
		code, err := programme.Parse("programme", p)
		if err != nil {
			return errParam("programme", "programme", "%q is not a programme", p)
		}
		progs = []programme.Code{code}
	}
	var all []policy.Version
	for _, p := range progs {
		vs, err := s.policies(c.Request().Context(), p)
		if err != nil {
			return err
		}
		all = append(all, vs...)
	}
	return writeJSON(c, http.StatusOK, paginate(all, policyKey, q))
}

// policyKey orders versions by programme, then effective date, then ID.
func policyKey(v policy.Version) string {
	return string(v.Programme) + "|" + v.EffectiveFrom.String() + "|" + v.ID
}

// policies returns programme p's published versions in key order.
func (s *server) policies(ctx context.Context, p programme.Code) ([]policy.Version, error) {
	st, err := s.policyFolds.state(ctx, s, p)
	if err != nil {
		return nil, err
	}
	vs := slices.Clone(st.Versions)
	slices.SortFunc(vs, func(a, b policy.Version) int {
		switch ka, kb := policyKey(a), policyKey(b); {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return vs, nil
}

// TargetRequest sets a county's target for one indicator and year.
type TargetRequest struct {
	Region    region.Code          `json:"region"`
	Year      programme.FiscalYear `json:"year"`
	Indicator outcome.Indicator    `json:"indicator"`
	Value     int64                `json:"value"`
	// Reason is required when a target is replaced.
	Reason string `json:"reason"`
}

func (s *server) setTarget(c echo.Context) error {
	return runOne(s, c, oneCommand[TargetRequest, target.State, target.Command]{
		name: "SetTarget", step: "target",
		created: func(in TargetRequest) (ledger.Aggregate[target.State], string, error) {
			return schema.Target(in.Region, in.Year), "", nil
		},
		command: func(r *request, in TargetRequest) target.Command {
			return target.SetTarget{Region: in.Region, Year: in.Year, Indicator: in.Indicator, Value: in.Value, Reason: in.Reason,
				Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: target.Decide,
	})
}

// IndicatorRequest records one indicator's value for one month.
type IndicatorRequest struct {
	Region    region.Code          `json:"region"`
	Year      programme.FiscalYear `json:"year"`
	Indicator outcome.Indicator    `json:"indicator"`
	Month     string               `json:"month"`
	Value     int64                `json:"value"`
	// Correction is required when a month's value is recorded again.
	Correction string `json:"correction"`
}

func (s *server) recordIndicator(c echo.Context) error {
	return runOne(s, c, oneCommand[IndicatorRequest, indicator.State, indicator.Command]{
		name: "RecordIndicator", step: "indicator",
		created: func(in IndicatorRequest) (ledger.Aggregate[indicator.State], string, error) {
			return schema.Indicator(in.Region, in.Year), "", nil
		},
		command: func(r *request, in IndicatorRequest) indicator.Command {
			return indicator.Record{Region: in.Region, Year: in.Year, Indicator: in.Indicator, Month: in.Month, Value: in.Value,
				Correction: in.Correction, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: indicator.Decide,
	})
}

// regionYear reads the :region and :year path parameters.
func regionYear(c echo.Context) (region.Code, programme.FiscalYear, error) {
	r, err := region.Parse("region", c.Param("region"))
	if err != nil {
		return "", 0, errParam("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Param("region"))
	}
	n, err := strconv.Atoi(c.Param("year"))
	if err != nil {
		return "", 0, errParam("year", "fiscal-year", "the year must be a number")
	}
	y, err := programme.ParseFiscalYear("year", n)
	if err != nil {
		return "", 0, errParam("year", "fiscal-year", "%d is not a fiscal year the ledger keeps", n)
	}
	return r, y, nil
}

func (s *server) getTargets(c echo.Context) error {
	reg, y, err := regionYear(c)
	if err != nil {
		return err
	}
	st, err := mustExist(c.Request().Context(), s, schema.Target(reg, y), "region", "targets for", string(reg))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}

// IndicatorTotals is a county's indicators for a year with the year's
// running totals.
type IndicatorTotals struct {
	indicator.State
	Totals map[outcome.Indicator]int64 `json:"totals"`
}

func (s *server) getIndicators(c echo.Context) error {
	reg, y, err := regionYear(c)
	if err != nil {
		return err
	}
	st, err := mustExist(c.Request().Context(), s, schema.Indicator(reg, y), "region", "indicators for", string(reg))
	if err != nil {
		return err
	}
	out := IndicatorTotals{State: st, Totals: map[outcome.Indicator]int64{}}
	for i := range st.Values {
		out.Totals[i] = st.Total(i)
	}
	return writeJSON(c, http.StatusOK, out)
}
