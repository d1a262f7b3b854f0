package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Defaults of PaymentIntake.
const (
	// DefaultIntakeBatch is the most payments one transaction enters.
	DefaultIntakeBatch = 500
	// DefaultIntakePoll is how often the table is looked at without a wake-up (payments
	// recorded by another replica, or left by a crash).
	DefaultIntakePoll = time.Second
)

// PaymentIntake turns recorded Stars payments into entries in batches.
//
// Without it each successful_payment update is booked in its own transaction, under its
// draw's row lock, with one commit per payment: a burst for one draw goes at the speed of
// one commit after another. With it the update handler only records the payment
// (payment_intake, in the transaction that marks the update processed) and returns; Run
// takes what has arrived meanwhile, in arrival order per draw, and enters it all in one
// transaction: users locked in id order, then each payment through raffle.Enter (the same
// checks, ledger postings, confirmation or refund job, idempotency by the charge id) in a
// savepoint of its own, so one failing payment stays for the next round without undoing the
// others. A row leaves the table in the transaction that books it: a payment is always
// either recorded or booked, never lost, never booked twice.
type PaymentIntake struct {
	bot   *Bot
	wake  chan struct{}
	batch int
	poll  time.Duration
}

// EnablePaymentIntake makes b record Stars payments for the returned PaymentIntake to book;
// call it before b handles any update, and run the intake's Run.
func (b *Bot) EnablePaymentIntake() *PaymentIntake {
	b.intake = &PaymentIntake{bot: b, wake: make(chan struct{}, 1), batch: DefaultIntakeBatch, poll: DefaultIntakePoll}
	return b.intake
}

// record stores pay for the intake, and upserts the payer, in the transaction that claims the
// update. A payment delivered again finds its update claimed and records nothing.
func (pi *PaymentIntake) record(ctx context.Context, updateID int, pay raffle.Payment, from *telego.User) error {
	b := pi.bot
	data, err := json.Marshal(pay)
	if err != nil {
		return fmt.Errorf("bot: encode payment: %w", err)
	}
	err = db.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		n, err := q.ClaimUpdate(ctx, tx, dbq.ClaimUpdateParams{UpdateID: int64(updateID), ProcessedAt: b.now()})
		if err != nil {
			return fmt.Errorf("bot: claim update: %w", err)
		}
		if n == 0 {
			return nil // recorded (and maybe booked) when it came first
		}
		if err := b.upsertUser(ctx, tx, from); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO payment_intake (charge_id, update_id, draw_id, payment, received_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (charge_id) DO NOTHING`, pay.ExternalID, updateID, pay.DrawID, data, b.now())
		if err != nil {
			return fmt.Errorf("bot: record payment: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bot: record payment %s: %w", pay.ExternalID, err)
	}
	select {
	case pi.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// Run books recorded payments until ctx ends. Payments left when it stops stay recorded and
// are booked by the next Run (on any replica: rows are taken with SKIP LOCKED).
func (pi *PaymentIntake) Run(ctx context.Context) {
	t := time.NewTicker(pi.poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			booked, err := pi.drain(ctx)
			if err != nil {
				if ctx.Err() == nil {
					pi.bot.logger.Error("book recorded payments", slog.Any("error", err))
				}
				break
			}
			if booked == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-pi.wake:
		case <-t.C:
		}
	}
}

type recorded struct {
	chargeID string
	pay      raffle.Payment
}

// drain books one batch and returns how many payments it booked.
func (pi *PaymentIntake) drain(ctx context.Context) (int, error) {
	b := pi.bot
	var results []raffle.EntryResult
	err := db.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		results = results[:0]
		rows, err := tx.Query(ctx, `SELECT charge_id, payment FROM payment_intake
			ORDER BY draw_id, received_at, charge_id LIMIT $1 FOR UPDATE SKIP LOCKED`, pi.batch)
		if err != nil {
			return fmt.Errorf("bot: read recorded payments: %w", err)
		}
		var batch []recorded
		for rows.Next() {
			var r recorded
			var data []byte
			if err := rows.Scan(&r.chargeID, &data); err != nil {
				rows.Close()
				return fmt.Errorf("bot: read recorded payment: %w", err)
			}
			if err := json.Unmarshal(data, &r.pay); err != nil {
				rows.Close()
				return fmt.Errorf("bot: decode recorded payment %s: %w", r.chargeID, err)
			}
			batch = append(batch, r)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("bot: read recorded payments: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		// Lock order everywhere: users, then draws, then ledger accounts. Take every user of
		// the batch first, in id order, so the batch never holds a draw while waiting for a user.
		users := make([]int64, 0, len(batch))
		for _, r := range batch {
			users = append(users, r.pay.UserID)
		}
		slices.Sort(users)
		users = slices.Compact(users)
		if err := q.EnsureUsers(ctx, tx, dbq.EnsureUsersParams{Ids: users, Now: b.now()}); err != nil {
			return fmt.Errorf("bot: ensure users: %w", err)
		}
		if _, err := q.LockUsers(ctx, tx, users); err != nil {
			return fmt.Errorf("bot: lock users: %w", err)
		}
		done := make([]string, 0, len(batch))
		// The batch is in draw order: each draw's payments go through EnterMany together, in a
		// savepoint; if that fails (a payment delivered by another path meanwhile, a refusal the
		// batch cannot express) the draw's payments are entered one by one instead.
		for len(batch) > 0 {
			n := 1
			for n < len(batch) && batch[n].pay.DrawID == batch[0].pay.DrawID {
				n++
			}
			group := batch[:n]
			batch = batch[n:]
			res, err := pi.enterGroup(ctx, tx, group)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				b.logger.Warn("book payments as a batch; entering them one by one", slog.Int64("draw_id", group[0].pay.DrawID), slog.Any("error", err))
				res, err = pi.enterEach(ctx, tx, group)
				if err != nil {
					return err
				}
			}
			for i, r := range res {
				if r != nil {
					results = append(results, *r)
					done = append(done, group[i].chargeID)
				}
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM payment_intake WHERE charge_id = ANY($1)`, done); err != nil {
			return fmt.Errorf("bot: delete booked payments: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, res := range results {
		b.countPayment(res)
	}
	return len(results), nil
}

// enterGroup enters the payments of one draw with raffle.EnterMany in a savepoint.
func (pi *PaymentIntake) enterGroup(ctx context.Context, tx pgx.Tx, group []recorded) ([]*raffle.EntryResult, error) {
	pays := make([]raffle.Payment, len(group))
	for i, r := range group {
		pays[i] = r.pay
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: savepoint: %w", err)
	}
	res, err := pi.bot.draws.EnterMany(ctx, sp, pays)
	if err != nil {
		_ = sp.Rollback(ctx)
		return nil, err
	}
	if err := sp.Commit(ctx); err != nil {
		return nil, fmt.Errorf("bot: release savepoint: %w", err)
	}
	out := make([]*raffle.EntryResult, len(res))
	for i := range res {
		out[i] = &res[i]
	}
	return out, nil
}

// enterEach enters payments one by one, each in a savepoint of its own, so one failing
// payment stays recorded for the next round without undoing the others (its result is nil).
// An error means tx itself is unusable.
func (pi *PaymentIntake) enterEach(ctx context.Context, tx pgx.Tx, group []recorded) ([]*raffle.EntryResult, error) {
	b := pi.bot
	out := make([]*raffle.EntryResult, len(group))
	for i, r := range group {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("bot: savepoint: %w", err)
		}
		res, err := b.draws.Enter(ctx, sp, r.pay)
		if err != nil {
			_ = sp.Rollback(ctx)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			b.logger.Error("book recorded payment; it stays for the next round", slog.String("charge_id", r.chargeID), slog.Any("error", err))
			continue
		}
		if err := sp.Commit(ctx); err != nil {
			return nil, fmt.Errorf("bot: release savepoint: %w", err)
		}
		out[i] = &res
	}
	return out, nil
}
