package ledger_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/ledger"
)

// BenchmarkHandle measures commands per second through Handle on the
// embedded store, 64 concurrent senders spread over 1,000 streams, with and
// without an idempotency key (which adds a read and two appends).
func BenchmarkHandle(b *testing.B) {
	for _, withKey := range []bool{false, true} {
		b.Run(fmt.Sprintf("idempotencyKey=%v", withKey), func(b *testing.B) {
			svc := newService(b, openStore(b, b.TempDir()))
			var n atomic.Int64
			b.SetParallelism(32) // 32 senders per GOMAXPROCS: 64 on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					cmd := ledger.Command{ID: uuid.New(), Name: "AddOne"}
					if withKey {
						cmd.IdempotencyKey = fmt.Sprintf("k-%d", i)
					}
					agg := counterAggregate(fmt.Sprintf("counter-%d", i%1000))
					if _, err := ledger.Handle(context.Background(), svc, agg, cmd, addOne); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
		})
	}
}
