package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// busyLineMoves is how many movements the benchmarks' line holds before
// the measured commands: a county line some way into its fiscal year.
const busyLineMoves = 10_000

// busyLine allocates enough to the expansion line for the fillers and n
// more claims, then appends busyLineMoves movements of other claims
// (each reserved and spent) straight to the store.
func busyLine(b *testing.B, st eventstore.Store, n int) {
	b.Helper()
	ctx := context.Background()
	if err := allocate(ctx, paymentService(b, st), int64(busyLineMoves/2+n)); err != nil {
		b.Fatal(err)
	}
	c := schema.Codec()
	by := budget.By{Actor: "appr1", Role: role.Approver, At: claimAt}
	var batch []eventstore.EventData
	for i := range busyLineMoves / 2 {
		claimID := fmt.Sprintf("filler-%05d", i)
		for _, ev := range []domain.Event{
			&budget.FundsReserved{ReservationID: claimID + "/r", ClaimID: claimID, Amount: grant, By: by},
			&budget.FundsSpent{PaymentID: claimID + "/s", ClaimID: claimID, Amount: grant, By: by},
		} {
			typ, version, data, err := c.Encode(ev)
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: version, Data: data})
		}
		if len(batch) >= 250 || i == busyLineMoves/2-1 {
			if _, err := st.Append(ctx, budget.Stream(expansionLine), eventstore.Any, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// cacheSizes are the configurations the benchmarks compare: folding the
// line from its first event on every command (0) and the default cache.
var cacheSizes = []int{0, ledger.DefaultCachedStreams}

// BenchmarkApproveOnBusyLine measures ApproveClaim, one approver at a
// time, of claims on a line holding busyLineMoves movements: the approval
// reserves on the line, so its cost follows how the line is folded.
func BenchmarkApproveOnBusyLine(b *testing.B) {
	for _, size := range cacheSizes {
		b.Run(fmt.Sprintf("cachedStreams=%d", size), func(b *testing.B) {
			ctx := context.Background()
			st := openStore(b, b.TempDir())
			busyLine(b, st, b.N)
			setup := paymentService(b, st)
			for i := range b.N {
				if err := checkedClaim(ctx, setup, i); err != nil {
					b.Fatal(err)
				}
			}
			svc := paymentService(b, st, ledger.WithCachedStreams(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(i), approve("appr1"), approverEnv("appr1")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSettleOnBusyLine measures RecordPaymentResult (paid), one
// treasurer at a time, of claims on a line holding busyLineMoves
// movements: the claim records the payment, then the line spends it.
func BenchmarkSettleOnBusyLine(b *testing.B) {
	for _, size := range cacheSizes {
		b.Run(fmt.Sprintf("cachedStreams=%d", size), func(b *testing.B) {
			ctx := context.Background()
			st := openStore(b, b.TempDir())
			busyLine(b, st, b.N)
			setup := paymentService(b, st)
			for i := range b.N {
				if err := checkedClaim(ctx, setup, i); err != nil {
					b.Fatal(err)
				}
				id := expansionClaimID(i)
				if _, err := ledger.ApproveClaim(ctx, setup, id, approve("appr1"), approverEnv("appr1")); err != nil {
					b.Fatal(err)
				}
				start := claim.StartDisclosure{On: claimEffective, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: claimAt}
				if _, err := ledger.StartDisclosure(ctx, setup, id, start, clerkEnv()); err != nil {
					b.Fatal(err)
				}
				done := claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt}
				if _, err := ledger.CompleteDisclosure(ctx, setup, id, done, clerkEnv()); err != nil {
					b.Fatal(err)
				}
				if _, err := ledger.ReleasePayment(ctx, setup, id, release(payID(i)), treasurerEnv()); err != nil {
					b.Fatal(err)
				}
			}
			svc := paymentService(b, st, ledger.WithCachedStreams(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := ledger.RecordPaymentResult(ctx, svc, expansionClaimID(i), bankPaid(payID(i)), treasurerEnv()); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if spent := lineState(b, svc, st).Spent; !spent.Equal(times(int64(busyLineMoves/2 + b.N))) {
				b.Fatalf("line spent %s after %d payments", spent, b.N)
			}
		})
	}
}
