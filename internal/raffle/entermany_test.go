package raffle_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// TestEnterManyIsEnterOneAfterAnother books the same payments twice, on two identical draws:
// one by one with Enter and as one batch with EnterMany. Every outcome (entry or refusal, and
// why; sequence numbers; replays), the payments, the jobs, the audit actions and the ledger
// must be the same; only the random entry codes differ.
func TestEnterManyIsEnterOneAfterAnother(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*raffle.Params)
	}{
		// Up to 6 entries, 2 a user: limits, a full draw (closed by the entry that fills it), then refusals.
		{"deadline draw that fills", func(p *raffle.Params) { p.Max, p.MaxEntriesPerUser, p.Min = 6, 2, 2 }},
		// Closes at its minimum: the entry that reaches it closes the draw, the rest are refused.
		{"instant draw", func(p *raffle.Params) { p.Min, p.Mode = 4, raffle.ModeInstant }},
		{"no limits reached", func(p *raffle.Params) { p.MaxEntriesPerUser = 100 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := raffletest.Setup(t, raffletest.Options{NoStart: true, MaxEntriesPerDay: 1000})
			one, err := b.Svc.Create(t.Context(), params(tc.mod), "cli")
			if err != nil {
				t.Fatal(err)
			}
			many, err := b.Svc.Create(t.Context(), params(tc.mod), "cli")
			if err != nil {
				t.Fatal(err)
			}
			// A payment booked before the burst (its redelivery in the burst is a replay), and a
			// banned user.
			for _, d := range []raffle.Draw{one, many} {
				b.Pay(t, d, 500, fmt.Sprintf("early-%d", d.ID))
			}
			if _, err := b.Pool.Exec(t.Context(), `INSERT INTO users (telegram_id, first_seen_at, last_seen_at, banned_at)
				VALUES (666, now(), now(), now())`); err != nil {
				t.Fatal(err)
			}
			burst := func(d raffle.Draw) []raffle.Payment {
				pay := func(user int64, charge string, amount int64, refuse string) raffle.Payment {
					return raffle.Payment{Provider: raffle.ProviderTelegram, ExternalID: fmt.Sprintf("%s-%d", charge, d.ID),
						DrawID: d.ID, UserID: user, Currency: "XTR", Amount: amount, Refuse: refuse}
				}
				return []raffle.Payment{
					pay(501, "a", 10, ""), pay(501, "b", 10, ""), pay(501, "c", 10, ""), // the third is over 2 a user
					pay(502, "d", 7, ""),                         // wrong amount
					pay(666, "e", 10, ""),                        // banned
					pay(503, "f", 10, raffle.RefuseWrongUser),    // paid an invoice issued to someone else
					pay(500, "early", 10, ""),                    // delivered again
					pay(504, "g", 10, ""), pay(504, "g", 10, ""), // twice in one burst
					pay(505, "h", 10, ""), pay(506, "i", 10, ""), pay(507, "j", 10, ""), pay(508, "k", 10, ""),
				}
			}
			var got1 []raffle.EntryResult
			for _, p := range burst(one) {
				err := db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
					res, err := b.Svc.Enter(t.Context(), tx, p)
					got1 = append(got1, res)
					return err
				})
				if err != nil {
					t.Fatalf("enter %s: %v", p.ExternalID, err)
				}
			}
			var gotMany []raffle.EntryResult
			err = db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
				gotMany, err = b.Svc.EnterMany(t.Context(), tx, burst(many))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(gotMany) != len(got1) {
				t.Fatalf("%d results, want %d", len(gotMany), len(got1))
			}
			var outcomes []string
			for i := range got1 {
				outcomes = append(outcomes, outcome(gotMany[i]))
				if outcome(got1[i]) != outcome(gotMany[i]) {
					t.Errorf("payment %d: batch %s, one by one %s", i, outcome(gotMany[i]), outcome(got1[i]))
				}
				if gotMany[i].PaymentID == 0 || (gotMany[i].Entered && len(gotMany[i].Code) != 9) {
					t.Errorf("payment %d: batch result %+v lacks its payment or code", i, gotMany[i])
				}
			}
			t.Logf("outcomes: %q", outcomes)
			for _, q := range []string{
				"SELECT status || ':' || refund_reason FROM payments WHERE raffle_id = $1 ORDER BY id",
				"SELECT action || ':' || actor FROM audit_log WHERE raffle_id = $1 AND action <> 'raffle.create' ORDER BY action, actor",
				"SELECT seq || ':' || telegram_id FROM entries WHERE raffle_id = $1 ORDER BY seq",
				"SELECT status || ':' || entries_count || ':' || coalesce(list_hash IS NOT NULL, false) FROM raffles WHERE id = $1",
				"SELECT kind || ':' || count(*) FROM river_job WHERE args->>'draw_id' = ($1::bigint)::text OR args->>'payment_id' IN (SELECT id::text FROM payments WHERE raffle_id = $1) GROUP BY kind ORDER BY kind",
				"SELECT args->>'chat_id' FROM river_job WHERE kind = 'notify_send' AND args->>'event' IN (SELECT 'entry:' || id FROM entries WHERE raffle_id = $1) ORDER BY 1",
			} {
				a, c := rowsOf(t, b, q, one.ID), rowsOf(t, b, q, many.ID)
				if !slices.Equal(a, c) {
					t.Errorf("%s\n one by one: %v\n batch:      %v", q, a, c)
				}
			}
			if b.Balance(t, fmt.Sprintf("draw:%d:pool:XTR", one.ID)) != b.Balance(t, fmt.Sprintf("draw:%d:pool:XTR", many.ID)) {
				t.Error("pools differ")
			}
			b.LedgerOK(t)
		})
	}
}

func outcome(r raffle.EntryResult) string {
	switch {
	case r.Entered:
		return fmt.Sprintf("entry %d replay=%v", r.Seq, r.Replay)
	case r.Refusal != nil:
		return fmt.Sprintf("refused %s replay=%v", r.Refusal.Code, r.Replay)
	}
	return "nothing"
}

func rowsOf(t *testing.T, b *raffletest.Bundle, sql string, id int64) []string {
	t.Helper()
	rows, err := b.Pool.Query(t.Context(), sql, id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}
