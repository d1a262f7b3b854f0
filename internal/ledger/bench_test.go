package ledger_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

// BenchmarkPost measures committed ledger transactions per second (each its own database
// transaction, as a payment would be) with 1 and 4 concurrent writers.
func BenchmarkPost(b *testing.B) {
	for _, writers := range []int{1, 4} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			pool := dbtest.NewDB(b)
			ctx := b.Context()
			var seq atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / writers
			if per == 0 {
				per = 1
			}
			for w := range writers {
				wg.Go(func() {
					for range per {
						n := seq.Add(1)
						// An entry payment: the clearing account pays a draw pool; each writer has its own pool.
						tr := ledger.Transfer(fmt.Sprintf("bench:%d", n), "entry", ledger.TelegramClearing, ledger.PoolAccount(int64(w), ledger.XTR), 10)
						err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
							_, err := ledger.Post(ctx, tx, tr)
							return err
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(seq.Load())/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
