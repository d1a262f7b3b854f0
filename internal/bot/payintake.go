package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
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
	bot     *Bot
	records recordBatcher
	wake    chan struct{}
	batch   int
	poll    time.Duration
}

// EnablePaymentIntake makes b record Stars payments for the returned PaymentIntake to book;
// call it before b handles any update, and run the intake's Run.
func (b *Bot) EnablePaymentIntake() *PaymentIntake {
	b.intake = &PaymentIntake{bot: b, wake: make(chan struct{}, 1), batch: DefaultIntakeBatch, poll: DefaultIntakePoll}
	return b.intake
}

// record stores pay for the intake, and upserts the payer, in the transaction that claims the
// update. A payment delivered again finds its update claimed and records nothing. Calls that
// arrive together are recorded in one transaction (see recordBatch): a burst costs a commit per
// batch, not per payment.
func (pi *PaymentIntake) record(ctx context.Context, updateID int, pay raffle.Payment, from *telego.User) error {
	data, err := json.Marshal(pay)
	if err != nil {
		return fmt.Errorf("bot: encode payment: %w", err)
	}
	c := &recordCall{updateID: updateID, pay: pay, data: data, from: from, at: pi.bot.now(), done: make(chan struct{})}
	rb := &pi.records
	rb.mu.Lock()
	rb.pending = append(rb.pending, c)
	if !rb.running {
		rb.running = true
		go pi.runRecords()
	}
	rb.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		// Recorded or not, the update is not confirmed: Telegram delivers it again, and the
		// claim decides.
		return fmt.Errorf("bot: record payment %s: %w", pay.ExternalID, ctx.Err())
	}
	if c.err != nil {
		return c.err
	}
	select {
	case pi.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// recordTimeout bounds one batch of records (and each record done alone after a failed batch).
const recordTimeout = 10 * time.Second

// recordCall is one record call waiting for its batch.
type recordCall struct {
	updateID int
	pay      raffle.Payment
	data     []byte
	from     *telego.User
	at       time.Time
	err      error
	done     chan struct{}
}

// recordBatcher gathers concurrent record calls: while one batch's transaction runs, the
// calls that arrive wait and form the next.
type recordBatcher struct {
	mu      sync.Mutex
	pending []*recordCall
	running bool
}

// runRecords records batches until none is waiting. A batch whose transaction fails is done
// again call by call, so one bad payment fails only its own update.
func (pi *PaymentIntake) runRecords() {
	rb := &pi.records
	for {
		rb.mu.Lock()
		batch := rb.pending
		rb.pending = nil
		if len(batch) == 0 {
			rb.running = false
			rb.mu.Unlock()
			return
		}
		rb.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
		err := pi.recordBatch(ctx, batch)
		cancel()
		if err != nil && len(batch) > 1 {
			pi.bot.logger.Warn("payments recorded one by one after a failed batch", slog.Int("payments", len(batch)), slog.Any("error", err))
			for _, c := range batch {
				ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
				c.err = pi.recordBatch(ctx, []*recordCall{c})
				cancel()
			}
		} else if err != nil {
			batch[0].err = err
		}
		for _, c := range batch {
			close(c.done)
		}
	}
}

// recordBatch records batch in one transaction: the updates claimed (an update already
// claimed, or twice in the batch, records nothing more), their payers upserted (in id order,
// as the intake locks them), their payments stored for the intake.
func (pi *PaymentIntake) recordBatch(ctx context.Context, batch []*recordCall) error {
	b := pi.bot
	ids := make([]int64, len(batch))
	for i, c := range batch {
		ids[i] = int64(c.updateID)
	}
	err := db.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO processed_updates (update_id, processed_at)
			SELECT u, $2 FROM unnest($1::bigint[]) AS u ON CONFLICT DO NOTHING RETURNING update_id`, ids, b.now())
		if err != nil {
			return fmt.Errorf("bot: claim updates: %w", err)
		}
		claimed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("bot: claim updates: %w", err)
		}
		fresh := make(map[int64]bool, len(claimed))
		for _, id := range claimed {
			fresh[id] = true
		}
		payers := map[int64]*telego.User{}
		var charges, payments []string
		var updates, draws []int64
		var times []time.Time
		for _, c := range batch {
			if !fresh[int64(c.updateID)] {
				continue // recorded (and maybe booked) when it came first
			}
			delete(fresh, int64(c.updateID))
			if c.from != nil && c.from.ID > 0 && !c.from.IsBot {
				payers[c.from.ID] = c.from
			}
			charges, payments = append(charges, c.pay.ExternalID), append(payments, string(c.data))
			updates, draws, times = append(updates, int64(c.updateID)), append(draws, c.pay.DrawID), append(times, c.at)
		}
		if len(charges) == 0 {
			return nil
		}
		userIDs := slices.Sorted(maps.Keys(payers))
		usernames, names, langs := make([]string, len(userIDs)), make([]string, len(userIDs)), make([]string, len(userIDs))
		for i, id := range userIDs {
			u := payers[id]
			usernames[i], names[i], langs[i] = u.Username, u.FirstName, u.LanguageCode
		}
		// As UpsertUser, for many.
		if _, err := tx.Exec(ctx, `INSERT INTO users (telegram_id, username, first_name, language_code, first_seen_at, last_seen_at)
			SELECT id, un, fn, lc, $5, $5 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS p(id, un, fn, lc)
			ORDER BY id
			ON CONFLICT (telegram_id) DO UPDATE
			   SET username = EXCLUDED.username, first_name = EXCLUDED.first_name,
			       language_code = CASE WHEN EXCLUDED.language_code = '' THEN users.language_code ELSE EXCLUDED.language_code END,
			       last_seen_at = EXCLUDED.last_seen_at,
			       blocked_at = NULL`, userIDs, usernames, names, langs, b.now()); err != nil {
			return fmt.Errorf("bot: upsert payers: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO payment_intake (charge_id, update_id, draw_id, payment, received_at)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::jsonb[], $5::timestamptz[])
			ON CONFLICT (charge_id) DO NOTHING`, charges, updates, draws, payments, times); err != nil {
			return fmt.Errorf("bot: record payments: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bot: record %d payments: %w", len(batch), err)
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
