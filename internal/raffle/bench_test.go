package raffle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// instantSource answers at once with the first k indices: the benchmark measures fairdraw's own
// work, not the randomness source's latency.
type instantSource struct{}

func (instantSource) Ticket(context.Context) (string, error) { return "ticket", nil }
func (instantSource) Draw(_ context.Context, in raffle.DrawInput) (raffle.Outcome, error) {
	idx := make([]int, in.K)
	for i := range idx {
		idx[i] = in.N - 1 - i*7
	}
	return raffle.Outcome{Indices: idx, RandomRaw: []byte(`{}`), Signature: "sig", TicketID: in.TicketID}, nil
}

// BenchmarkCloseDrawSettle100k closes a draw of 100,000 entries (freezes the list, hashes it),
// draws it and settles it (pool to 10 winners and the commission in one ledger transaction).
func BenchmarkCloseDrawSettle100k(b *testing.B) {
	const n, k = 100_000, 10
	rt := raffletest.Setup(b, raffletest.Options{NoStart: true})
	ctx := b.Context()
	sources := map[string]raffle.Source{raffle.SourceRandomOrg: instantSource{}}
	if _, err := rt.Pool.Exec(ctx, `INSERT INTO users (telegram_id, first_seen_at, last_seen_at) SELECT g, now(), now() FROM generate_series(1, $1) g`, n); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		d, err := rt.Svc.Create(ctx, raffle.Params{Title: fmt.Sprintf("big %d", i), Currency: "XTR", Fee: 10, Min: k, Winners: k,
			CommissionBP: 500, Deadline: time.Now().Add(time.Hour)}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		seed(b, rt, d, n)
		b.StartTimer()
		if err := rt.Svc.ForceDraw(ctx, d.ID, "bench"); err != nil {
			b.Fatal(err)
		}
		if err := rt.Svc.DrawNow(ctx, d.ID, sources); err != nil {
			b.Fatal(err)
		}
		if err := rt.Svc.SettleNow(ctx, d.ID); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		got, _ := rt.Svc.Get(ctx, d.ID)
		if got.Status != raffle.StatusSettled || rt.Balance(b, ledger.PoolAccount(d.ID, "XTR")) != 0 {
			b.Fatalf("draw %d: %s", d.ID, got.Status)
		}
	}
}

// seed adds n paid entries to d with bulk SQL and credits its pool in one ledger transaction.
func seed(b *testing.B, rt *raffletest.Bundle, d raffle.Draw, n int) {
	ctx := b.Context()
	err := db.InTx(ctx, rt.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO payments (provider, external_id, raffle_id, telegram_id, currency, amount, status, created_at)
			SELECT 'telegram', $1 || ':' || g, $2, g, 'XTR', 10, 'entered', now() FROM generate_series(1, $3) g`, fmt.Sprint(d.ID), d.ID, n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO entries (raffle_id, seq, telegram_id, code, payment_id, created_at)
			SELECT $1, p.telegram_id, p.telegram_id, substr(h, 1, 4) || '-' || substr(h, 5, 4), p.id, now()
			  FROM (SELECT id, telegram_id, upper(lpad(to_hex(telegram_id), 8, '0')) AS h FROM payments WHERE raffle_id = $1) p`, d.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE raffles SET entries_count = $2 WHERE id = $1`, d.ID, n); err != nil {
			return err
		}
		_, err := ledger.Post(ctx, tx, ledger.Transfer(fmt.Sprintf("bench:%d", d.ID), "entry", ledger.TelegramClearing, ledger.PoolAccount(d.ID, "XTR"), int64(n)*10))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
