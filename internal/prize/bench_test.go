package prize_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// credit gives each user 100 Stars, backed by a Telegram payment the fake recorded.
func credit(b *testing.B, e *env, users []int64) {
	b.Helper()
	for _, u := range users {
		charge := e.tg.PayStars(telegramtest.User{ID: u, FirstName: "P"}, 100, "fd1:1:1:100")
		err := db.InTx(b.Context(), e.b.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(b.Context(), "INSERT INTO users (telegram_id, first_seen_at, last_seen_at) VALUES ($1, now(), now())", u); err != nil {
				return err
			}
			_, err := ledger.Post(b.Context(), tx, ledger.Transfer("tg:charge:"+charge, "entry", ledger.TelegramClearing, ledger.UserAccount(u, ledger.XTR), 100))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedeem measures recording redemptions (the catalogue check, then the row, the hold
// and the delivery job in one transaction), one per user, River stopped.
func BenchmarkRedeem(b *testing.B) {
	e := setup(b, false)
	users := make([]int64, b.N)
	for i := range users {
		users[i] = int64(5_000_000 + i)
	}
	credit(b, e, users)
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := e.svc.Redeem(b.Context(), prize.Request{UserID: users[i], Kind: prize.KindGift, GiftID: rose.ID, Price: rose.StarCount, Key: fmt.Sprintf("bench:%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "redemptions/s")
}

// BenchmarkReconcile measures one reconciliation of 2,000 ledger payments against a history of
// 2,000 Star transactions (20 pages of getStarTransactions).
func BenchmarkReconcile(b *testing.B) {
	e := setup(b, false)
	users := make([]int64, 2000)
	for i := range users {
		users[i] = int64(6_000_000 + i)
	}
	credit(b, e, users)
	b.ResetTimer()
	for range b.N {
		rep, err := prize.Reconcile(b.Context(), e.b.Pool, e.api)
		if err != nil || !rep.OK() || rep.Matched != len(users) {
			b.Fatalf("reconcile: %v %d matched, %d mismatches", err, rep.Matched, len(rep.Mismatches))
		}
	}
}
