package haixi

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// funds opens both funds, receives their transfers and allocates each
// programme's total to the seven counties by their shares; each budget line
// then records the allocation the fund decided.
func (r *run) funds(ctx context.Context) error {
	for _, f := range funds {
		agg := schema.Fund(f.id)
		open := fund.Open{FundID: f.id, Name: f.name, FiscalYear: Year, Kind: f.kind, Level: fund.Prefecture,
			Region: region.Haixi, Actor: Administrator, Role: role.Administrator, At: at(QuarterStart.AddDays(1))}
		env := envelope("fund/"+f.id+"/open", Administrator, role.Administrator, QuarterStart.AddDays(1), "")
		if _, err := handle(ctx, r, agg, env, "OpenFund", open, decideFund(open)); err != nil {
			return err
		}
		for i, t := range f.transfers {
			receive := fund.ReceiveTransfer{Document: t.document, Amount: t.amount, Source: t.source, ReceivedOn: t.on,
				Actor: Administrator, Role: role.Administrator, At: at(t.on)}
			env := envelope(fmt.Sprintf("fund/%s/receive/%d", f.id, i+1), Administrator, role.Administrator, t.on, "")
			if _, err := handle(ctx, r, agg, env, "ReceiveTransfer", receive, decideFund(receive)); err != nil {
				return err
			}
		}
		for _, pt := range f.programmes {
			for _, c := range counties {
				if err := r.allocate(ctx, f, pt, c); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (r *run) allocate(ctx context.Context, f fundPlan, pt programmeTotal, c county) error {
	step := fmt.Sprintf("fund/%s/allocate/%s/%s", f.id, pt.programme, c.code)
	allocate := fund.Allocate{AllocationID: fmt.Sprintf("%s/%d/%s/%s", f.id, Year, pt.programme, c.code),
		Programme: pt.programme, Region: c.code, Amount: pt.total.MulRate(decimal.New(c.share, -3)),
		Actor: Administrator, Role: role.Administrator, At: at(f.allocateOn)}
	res, err := handle(ctx, r, schema.Fund(f.id), envelope(step, Administrator, role.Administrator, f.allocateOn, ""),
		"Allocate", allocate, decideFund(allocate))
	if err != nil {
		return err
	}
	// The budget line takes its key and amount from the fund's own event,
	// as the allocation process prescribes.
	var a *fund.Allocated
	if len(res.Events) == 1 {
		a, _ = res.Events[0].(*fund.Allocated)
	}
	if a == nil {
		return fmt.Errorf("haixi: %s: the fund recorded %d events, not one FundAllocated", step, len(res.Events))
	}
	record := budget.RecordAllocation{AllocationID: a.AllocationID, BudgetLineID: a.BudgetLineID, FundID: a.FundID,
		Programme: a.Programme, Region: a.Region, FiscalYear: a.FiscalYear, Amount: a.Amount,
		Actor: Administrator, Role: role.Administrator, At: allocate.At}
	_, err = handle(ctx, r, schema.BudgetLine(a.BudgetLineID), envelope(step+"/record", Administrator, role.Administrator, f.allocateOn, ""),
		"RecordAllocation", record, func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, record) })
	return err
}

func decideFund(cmd fund.Command) func(fund.State) ([]domain.Event, error) {
	return func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) }
}
