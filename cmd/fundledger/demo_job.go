package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/cmd/fundledger/haixi"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/persondata"
	"github.com/haixi-hrss/fundledger/projections"
)

// buildDemo records the Haixi scenario in the ledger l and brings the
// read models up to the end of the log. The people its claims name are
// registered in the data directory's person register (persondata.db),
// keyed with the ledger's secret in the data directory (created on first
// use, and what 'serve --person-secret-file' reads), so a server started
// as the demo says can reveal them.
func buildDemo(ctx context.Context, l *datadir.Ledger) (haixi.Tally, error) {
	people, err := demoPeople(l)
	if err != nil {
		return haixi.Tally{}, err
	}
	tally, err := haixi.Run(ctx, haixi.Ledger{Service: l.Service, Store: l.Store, Codec: l.Codec, People: people})
	if err != nil {
		return tally, err
	}
	if _, err := l.CatchUp(ctx); err != nil {
		return tally, fmt.Errorf("bring the read models up to date: %w", err)
	}
	return tally, nil
}

// demoPeople opens the person register of l's data directory keyed with
// the secret in DIR/person.key, the file the server is told to read, so
// the demo and the server make the same references.
func demoPeople(l *datadir.Ledger) (*ledger.People, error) {
	secret, err := persondata.OpenSecret(l.Dir)
	if err != nil {
		return nil, err
	}
	h, err := identity.NewHasher(secret)
	if err != nil {
		return nil, fmt.Errorf("person secret %s: %w", personKeyPath(l.Dir), err)
	}
	return l.People(h)
}

// auditedPerson is the person an auditor is invited to reveal: the one
// paid on the claim clawed back for fraud, by claim ID and reference.
func auditedPerson(l *datadir.Ledger) (claimID string, ref string, err error) {
	claimID = haixi.FraudClaim()
	var row projections.ClaimRow
	var ok bool
	l.Runner.Read(func(uint64) { row, ok = l.Views.Claims.Claim(claimID) })
	if !ok || row.Beneficiary.Kind != claim.Person {
		return "", "", fmt.Errorf("the demo's claim %q about a person is not in the ledger", claimID)
	}
	return claimID, row.Beneficiary.Ref, nil
}

// demoPeriod is the report's period: the first quarter of the scenario's
// year.
const demoPeriod = "2025-Q1"

// demoReport is the evaluator's report, read from the ledger's
// projections: the funds, each programme's money and outcomes in each
// county with their total, the claims by status, and the prefecture's
// indicator lines against the year's targets.
type demoReport struct {
	funds      []projections.FundTotals
	rows       []projections.PerformanceRow
	total      projections.PerformanceRow
	statuses   map[claim.Status]int
	indicators []projections.IndicatorRow
}

// readReport gathers the report from the ledger's views at one checkpoint:
// funds and claims from the officers' views; money, outcomes and
// indicators from the evaluators' Performance model.
func readReport(ctx context.Context, l *datadir.Ledger) (demoReport, error) {
	rep := demoReport{statuses: map[claim.Status]int{}}
	if _, err := l.CatchUp(ctx); err != nil {
		return rep, fmt.Errorf("bring the read models up to date: %w", err)
	}
	f := projections.PerformanceFilter{Period: demoPeriod}
	var err error
	l.Runner.Read(func(uint64) {
		rep.funds = l.Views.Budgets.Funds()
		for _, c := range l.Views.Claims.Find(projections.ClaimFilter{}) {
			rep.statuses[c.Status]++
		}
		perf := l.Views.Performance
		if rep.rows, err = perf.Rows(f); err != nil {
			return
		}
		if rep.total, err = perf.Total(f); err != nil {
			return
		}
		rep.indicators, err = perf.Indicators(region.Haixi, demoPeriod)
	})
	return rep, err
}

// demoPrincipals are the principal given a token for each role: people of
// the scenario, so what a token sees and may do matches the ledger. The
// approver is Golmud's second, who submitted nothing and approved little.
var demoPrincipals = []struct{ role, principal string }{
	{role.Administrator, haixi.Administrator},
	{role.Clerk, haixi.Clerk(region.Golmud)},
	{role.Approver, haixi.Approver(region.Golmud, 2)},
	{role.Treasurer, haixi.Treasurer},
	{role.Auditor, "auditor-haixi-1"},
	{role.Evaluator, "evaluator-haixi-1"},
}

// demoToken is one role's token: the plaintext only when created by this
// run, since the file keeps only its hash.
type demoToken struct {
	role, principal, id, plaintext string
}

// ensureTokens gives every demo principal an active token in the tokens
// file, creating only those missing, so a rerun adds none.
func ensureTokens(path string, now time.Time) ([]demoToken, error) {
	entries, err := auth.List(path)
	if err != nil {
		return nil, err
	}
	out := make([]demoToken, 0, len(demoPrincipals))
	for _, p := range demoPrincipals {
		i := slices.IndexFunc(entries, func(e auth.Entry) bool {
			return e.Principal == p.principal && e.Role == p.role && e.Revoked == nil
		})
		if i >= 0 {
			out = append(out, demoToken{role: p.role, principal: p.principal, id: entries[i].ID})
			continue
		}
		plain, e, err := auth.Create(path, p.principal, p.role, now)
		if err != nil {
			return nil, fmt.Errorf("create the %s token: %w", p.role, err)
		}
		out = append(out, demoToken{role: p.role, principal: p.principal, id: e.ID, plaintext: plain})
	}
	return out, nil
}

// tokensPath is the tokens file of data directory dir.
func tokensPath(dir string) string { return filepath.Join(dir, auth.DefaultFile) }

// personKeyPath is the ledger's secret in data directory dir.
func personKeyPath(dir string) string { return filepath.Join(dir, persondata.SecretFileName) }
