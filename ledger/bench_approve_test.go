package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/ledger"
)

// BenchmarkApproveKeyed measures ApproveClaim under a fresh idempotency
// key, one approver at a time, of claims the same process submitted and
// checked (as the API's cycle does), and reports the stream reads each
// approval makes: the claim's, the key's and the line's.
func BenchmarkApproveKeyed(b *testing.B) {
	ctx := context.Background()
	st := &streamReads{Store: openStore(b, b.TempDir())}
	svc := paymentService(b, st, ledger.WithRecentStreams(max(b.N, ledger.DefaultRecentStreams)))
	if err := allocate(ctx, svc, int64(b.N)); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		reviewedClaim(b, svc, i)
	}
	st.take()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		env := keyedApproverEnv("appr1", fmt.Sprintf("approve-%d", i))
		if _, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(i), approve("appr1"), env); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reads := st.take()
	for _, kind := range []string{"claim", "idem", "budget"} {
		b.ReportMetric(float64(reads[kind])/float64(b.N), kind+"-reads/op")
	}
}
